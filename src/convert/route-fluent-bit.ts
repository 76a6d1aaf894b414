import { parseFluentBit, type FluentBitDocument } from './fluent-bit-syntax.js';
import type { IncludeReader } from './fluentd-syntax.js';
import { applyEffect, mapFilter } from './map-filters.js';
import { mapTail } from './map-inputs.js';
import { mapOutput } from './map-outputs.js';
import { describe, leftoverNotes, unique, type Plan } from './plan.js';
import type { Section } from './section.js';
import { fluentBitMatcher } from './tag-match.js';

/**
 * Fluent Bit's routing: every filter whose `Match` takes an input's tag
 * applies, in order, and every output whose `Match` takes it receives the
 * events (not only the first, as in Fluentd). Parsers come from `[PARSER]`
 * sections of the file and of its `Parsers_File`.
 */

const SERVICE_REASONS: Record<string, string> = {
  flush: 'logship sends a batch when it is full or after batch.timeout (per output)',
  grace: 'logship drains for up to shutdown.timeout on stop',
  daemon: 'logship runs in the foreground',
  log_level: 'set log.level (or LOGSHIP_LOG_LEVEL)',
  http_server: 'set server.listen for /health, /readyz, /livez and /metrics',
  http_listen: 'set server.listen',
  http_port: 'set server.listen',
  'storage.path': 'logship keeps its disk buffers and checkpoints under buffer.path',
  'storage.sync': 'logship fsyncs its buffers every buffer.sync_interval',
  'storage.checksum': "logship's disk buffer checks a CRC on every record",
  'storage.backlog.mem_limit': 'logship bounds its buffers by buffer.max_size',
  'storage.metrics': 'logship exports buffer metrics on /metrics',
  'health_check': 'see /health (docs/health.md)',
  'hc_errors_count': 'see /health (docs/health.md)',
  'hc_retry_failure_count': 'see /health (docs/health.md)',
  'hc_period': 'see /health (docs/health.md)',
  plugins_file: 'logship has no plugins',
};

export function planFluentBit(doc: FluentBitDocument, source: string, read: IncludeReader): Plan {
  const plan: Plan = { dialect: 'fluent-bit', source, inputs: [], outputs: [], notes: [...doc.notes] };
  const sections = [...doc.sections];
  for (const service of sections.filter((s) => s.name === 'service')) {
    for (const p of service.takeAll('parsers_file')) {
      const found = read(p.value, p.where.replace(/:\d+$/, ''));
      if (typeof found === 'string') plan.notes.push(`Parsers_File ${p.value} (${p.where}) not read: ${found}; parsers named from it convert only if they are Fluent Bit built-ins logship knows`);
      else for (const f of found) sections.push(...parseFluentBit(f.text, f.file, read).sections.filter((s) => s.name === 'parser' || s.name === 'multiline_parser'));
    }
    plan.notes.push(...leftoverNotes(service, SERVICE_REASONS, 'no logship setting matches it').map((n) => `[SERVICE] ${n}`));
  }
  const parsers = new Map<string, Section>();
  for (const s of sections) if ((s.name === 'parser' || s.name === 'multiline_parser') && s.peek('name')) parsers.set(s.peek('name')!, s);

  for (const section of sections.filter((s) => s.name === 'input')) {
    const plugin = (section.take('name') ?? '').toLowerCase();
    if (plugin !== 'tail') {
      plan.notes.push(`${describe(section, plugin)} not converted: logship reads log files (tail); point the application at a file or keep this input in a Fluent Bit`);
      continue;
    }
    const input = mapTail(section, 'fluent-bit', plan.inputs.length, parsers, plan.notes);
    if (!input) continue;
    input.name = unique(input.name, plan.inputs.map((i) => i.name));
    plan.inputs.push(input);
  }

  for (const section of sections.filter((s) => s.name === 'filter')) {
    const plugin = (section.peek('name') ?? '').toLowerCase();
    const matches = fluentBitMatcher(section.peek('match'), section.take('match_regex'));
    const reached = plan.inputs.filter((i) => matches(i.tag));
    if (reached.length === 0) {
      plan.notes.push(`${describe(section, plugin)} not converted: no tail input's tag matches it`);
      continue;
    }
    const effect = mapFilter(section, plugin, 'fluent-bit', parsers);
    for (const input of reached) applyEffect(input, effect, section.where);
  }

  for (const section of sections.filter((s) => s.name === 'output')) {
    const plugin = (section.peek('name') ?? '').toLowerCase();
    const matches = fluentBitMatcher(section.peek('match'), section.peek('match_regex'));
    const reached = plan.inputs.filter((i) => matches(i.tag)).map((i) => i.name);
    const mapped = mapOutput(section, plugin, 'fluent-bit');
    if ('skipped' in mapped) plan.notes.push(mapped.skipped);
    else if (reached.length === 0) plan.notes.push(`${describe(section, plugin)} not converted: no tail input's tag matches it`);
    else plan.outputs.push({ config: mapped.config, notes: mapped.notes, inputs: reached });
  }
  for (const s of sections) {
    if (!['service', 'input', 'filter', 'output', 'parser', 'multiline_parser'].includes(s.name)) plan.notes.push(`${describe(s, '')} not converted: not a section logship knows`);
  }
  for (const input of plan.inputs) {
    if (!plan.outputs.some((o) => o.inputs.includes(input.name))) input.notes.push(`no output's Match takes tag ${input.tag}: Fluent Bit discards these events, and no output below names this input either`);
  }
  return plan;
}
