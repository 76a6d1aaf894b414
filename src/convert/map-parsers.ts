import { compileTimeFormat } from '../../parsers/timestamp.js';
import { describe, leftoverNotes, type PlannedInput } from './plan.js';
import type { Section } from './section.js';
import { formatDuration, jsRegex } from './values.js';

/**
 * Parsers: Fluentd `<parse>` sections, Fluent Bit parser names (built-in or
 * `[PARSER]` sections) and multi-line settings, as an input's `parser`,
 * `container`, `multiline`, `time_format` and `timezone`.
 */

export interface Parsing {
  parser?: unknown;
  container?: 'cri' | 'docker';
  multiline?: Record<string, unknown>;
  time_format?: string;
  timezone?: string;
}

/** Formats both shippers name that a logship parser reads the same way. */
const SAME_FORMAT: Record<string, Parsing> = {
  json: { parser: 'json' },
  nginx: { parser: 'nginx' },
  apache: { parser: 'apache' },
  apache2: { parser: 'apache' },
  apache_error: { parser: 'apache_error' },
  syslog: { parser: 'syslog' },
  'syslog-rfc5424': { parser: 'syslog' },
  'syslog-rfc3164': { parser: 'syslog' },
  'syslog-rfc3164-local': { parser: 'syslog' },
  logfmt: { parser: 'logfmt' },
  none: { parser: 'plain' },
  docker: { container: 'docker' },
  cri: { container: 'cri' },
};

// The time keys logship's normaliser reads as @timestamp (docs/parsers.md).
const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 't', 'datetime', '@t', 'asctime'];

/** A time format logship's strptime accepts, or a note saying why it is left out. */
function timeFormat(written: string, where: string, notes: string[]): string | undefined {
  // Ruby's fractions of a second (%N nanoseconds, %L milliseconds, %3N…) are logship's %f.
  const format = written.replace(/%\d?[NL]/g, '%f');
  try {
    compileTimeFormat(format);
    return format;
  } catch (err) {
    notes.push(`time_format ${written} (${where}) not converted: ${(err as Error).message}; logship recognises common timestamps without one`);
    return undefined;
  }
}

/**
 * A regex parser from a Ruby/Onigmo pattern. A time group named by `time_key`
 * is renamed `time`, the name logship reads as the timestamp.
 */
function regexParsing(expression: string, timeKey: string | undefined, what: string, notes: string[]): Parsing | undefined {
  const js = jsRegex(expression);
  if (typeof js === 'string') {
    notes.push(`${what}: the regex is not converted: ${js}; the input reads lines as plain text`);
    return undefined;
  }
  let pattern = js.pattern;
  // Fluent Bit's line is the record key `log`; logship's is `message` (grep and record filters are converted alike).
  if (pattern.includes('(?<log>') && !pattern.includes('(?<message>')) pattern = pattern.replace('(?<log>', '(?<message>');
  if (timeKey !== undefined && !TIME_KEYS.includes(timeKey.toLowerCase())) {
    const group = `(?<${timeKey.replace(/\./g, '__').replace(/-/g, '_')}>`;
    if (pattern.includes(group)) pattern = pattern.replace(group, '(?<time>');
  }
  if (!/\(\?<[A-Za-z_]\w*>/.test(pattern)) {
    notes.push(`${what}: the regex has no named group; the input reads lines as plain text`);
    return undefined;
  }
  return { parser: { name: 'regex', options: js.flags ? { pattern, flags: js.flags } : { pattern } } };
}

/**
 * Fluentd's `<parse>` section, or with `onSource` the v0.12 form: `format`
 * and its options on the `<source>` itself (whose leftovers its own mapper notes).
 */
export function fluentdParse(parse: Section, notes: string[], onSource = false): Parsing {
  const type = ((onSource ? undefined : parse.take('@type')) ?? parse.take('format') ?? 'none').trim();
  const what = describe(parse, type);
  const timeKey = parse.take('time_key');
  let out: Parsing | undefined;
  if (type.startsWith('/')) out = regexParsing(type, timeKey, what, notes);
  else if (type === 'regexp') {
    const expression = parse.take('expression') ?? parse.take('format');
    out = expression === undefined ? undefined : regexParsing(expression, timeKey, what, notes);
  } else if (type === 'multiline') {
    const first = parse.take('format_firstline');
    const parts: string[] = [];
    for (let n = 1; n <= 20; n++) {
      const part = parse.take(`format${n}`);
      if (part !== undefined) parts.push(part.trim().replace(/^\/(.*)\/[a-z]*$/s, '$1'));
    }
    const start = first === undefined ? undefined : jsRegex(first);
    if (start === undefined || typeof start === 'string') notes.push(`${what}: format_firstline ${start === undefined ? 'missing' : `not converted: ${start}`}; events are single lines`);
    else out = { multiline: { start: start.pattern } };
    if (parts.length > 0) {
      // Fluentd joins the lines of an event with \n and matches the formats, concatenated, with Ruby's m flag.
      const regex = regexParsing(`/${parts.join('')}/m`, timeKey, what, notes);
      out = { ...out, ...regex };
    }
  } else if (Object.hasOwn(SAME_FORMAT, type)) out = { ...SAME_FORMAT[type] };
  else notes.push(`${what}: no logship parser reads "${type}" (logship has json, logfmt, key_value, regex, syslog, nginx, apache, klog, cri, docker); lines are read as plain text`);

  const format = parse.take('time_format');
  if (format !== undefined && out) {
    const tf = timeFormat(format, parse.where, notes);
    if (tf !== undefined) out.time_format = tf;
  }
  const tz = parse.take('timezone');
  if (tz !== undefined && out) out.timezone = tz;
  if (timeKey !== undefined && out && !TIME_KEYS.includes(timeKey.toLowerCase()) && !JSON.stringify(out.parser ?? '').includes('(?<time>')) {
    notes.push(`time_key ${timeKey} (${parse.where}) not converted: logship takes @timestamp from the keys ${TIME_KEYS.join(', ')}; the field stays under attributes`);
  }
  if (onSource) return out ?? {};
  notes.push(
    ...leftoverNotes(
      parse,
      {
        keep_time_key: 'logship keeps the parsed time as @timestamp; the original text is in event.original with keep_original: true',
        types: 'logship keeps regex fields as strings (ECS numeric fields become numbers)',
        time_type: 'logship reads the time as text (time_format) or recognises it',
        estimate_current_event: 'logship uses the read time for events without a timestamp',
        null_value_pattern: 'no logship equivalent',
        utc: 'logship reads times without an offset as UTC unless timezone is set',
      },
      'no logship parser option matches it',
    ),
  );
  return out ?? {};
}

/** A Fluent Bit parser by name: a `[PARSER]` section of the file, else one of Fluent Bit's built-in names. */
export function fluentBitParser(name: string, defs: ReadonlyMap<string, Section>, where: string, notes: string[]): Parsing | undefined {
  const def = defs.get(name);
  if (!def) {
    const known = SAME_FORMAT[name.toLowerCase()];
    if (known) return { ...known };
    notes.push(`Parser ${name} (${where}) not converted: it is not defined in this file (or its Parsers_File) and is not a built-in logship knows; lines are read as plain text`);
    return undefined;
  }
  def.take('name');
  const format = (def.take('format') ?? '').toLowerCase();
  const what = describe(def, name);
  const timeKey = def.take('time_key');
  let out: Parsing | undefined;
  if (format === 'regex') {
    const regex = def.take('regex');
    out = regex === undefined ? undefined : regexParsing(regex, timeKey, what, notes);
  } else if (format === 'json' || format === 'logfmt') out = { parser: format };
  else notes.push(`${what}: format ${format} has no logship parser; lines are read as plain text`);
  const tf = def.take('time_format');
  if (tf !== undefined && out) {
    const converted = timeFormat(tf, def.where, notes);
    if (converted !== undefined) out.time_format = converted;
  }
  const offset = def.take('time_offset');
  if (offset !== undefined && out) out.timezone = offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  notes.push(
    ...leftoverNotes(
      def,
      {
        time_keep: 'logship keeps the parsed time as @timestamp; the original text is in event.original with keep_original: true',
        types: 'logship keeps regex fields as strings (ECS numeric fields become numbers)',
        decode_field_as: 'no logship equivalent (json inside a field is kept as text)',
      },
      'no logship parser option matches it',
    ),
  );
  return out;
}

/** Fluent Bit's built-in multi-line parsers that logship has as a container format or a preset. */
const BUILTIN_MULTILINE: Record<string, Parsing> = {
  docker: { container: 'docker' },
  cri: { container: 'cri' },
  java: { multiline: { preset: 'java' } },
  python: { multiline: { preset: 'python' } },
  go: { multiline: { preset: 'go' } },
  ruby: { multiline: { preset: 'ruby' } },
};

/**
 * `multiline.parser a, b`: the container formats and presets by name, and a
 * `[MULTILINE_PARSER]` of type regex as `multiline.start`/`continue` (its
 * first `start_state` rule starts an event, the other rules continue it).
 */
export function fluentBitMultiline(list: string, defs: ReadonlyMap<string, Section>, where: string, notes: string[]): Parsing {
  const out: Parsing = {};
  const presets: string[] = [];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const containers = names.filter((n) => BUILTIN_MULTILINE[n.toLowerCase()]?.container);
  if (containers.length > 1) notes.push(`multiline.parser ${list} (${where}): logship reads one container format per input; ${containers.at(-1)} is used, change container: to ${containers[0]} if the files are ${containers[0]} logs`);
  for (const name of names) {
    const builtin = BUILTIN_MULTILINE[name.toLowerCase()];
    const def = defs.get(name);
    if (def) {
      const rules = [...def.takeAll('rule'), ...def.takeAll('rules')].map((r) => ruleOf(r.value));
      const start = rules.find((r) => r?.state === 'start_state');
      const cont = rules.filter((r) => r && r.state !== 'start_state');
      def.take('name');
      const type = def.take('type');
      const timeout = def.take('flush_timeout');
      if (type?.toLowerCase() !== 'regex' || !start) {
        notes.push(`${describe(def, name)}: only type regex with a "start_state" rule converts; events are single lines`);
        continue;
      }
      out.multiline = { start: start.regex, ...(cont.length > 0 ? { continue: cont.map((r) => r!.regex).join('|') } : {}), ...(timeout && /^\d+$/.test(timeout) ? { timeout: formatDuration(Number(timeout)) } : {}) };
      notes.push(...leftoverNotes(def, {}, 'no logship multi-line option matches it'));
    } else if (builtin?.container) out.container = builtin.container;
    else if (builtin?.multiline) presets.push(builtin.multiline.preset as string);
    else notes.push(`multiline.parser ${name} (${where}) not converted: neither a [MULTILINE_PARSER] of this file nor a built-in logship has (docker, cri, java, python, go, ruby)`);
  }
  if (presets.length > 0) out.multiline = { ...out.multiline, preset: presets.length === 1 ? presets[0] : presets };
  return out;
}

/** `"start_state" "/regex/" "cont"` (classic) or `{state, regex, next_state}` (YAML). */
function ruleOf(value: string): { state: string; regex: string } | undefined {
  if (value.startsWith('{')) {
    const r = JSON.parse(value) as { state?: string; regex?: string };
    const js = r.regex === undefined ? undefined : jsRegex(r.regex);
    return r.state && js && typeof js !== 'string' ? { state: r.state, regex: js.pattern } : undefined;
  }
  const parts = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  if (parts.length < 2) return undefined;
  const js = jsRegex(parts[1]!.replace(/\\"/g, '"'));
  return typeof js === 'string' ? undefined : { state: parts[0]!, regex: js.pattern };
}

/**
 * Merges parsing settings into an input: a container format and multi-line
 * rules add to what is there, a content parser replaces a plain one and is
 * noted when it would replace another.
 */
export function applyParsing(input: PlannedInput, parsing: Parsing, where: string): void {
  const c = input.config;
  if (parsing.container) c.container = parsing.container;
  if (parsing.multiline) c.multiline = { ...(c.multiline as object | undefined), ...parsing.multiline };
  if (parsing.parser !== undefined) {
    if (c.parser === undefined || c.parser === 'plain') c.parser = parsing.parser;
    else input.notes.push(`a second parser (${where}) not converted: the input already parses with ${JSON.stringify(c.parser)}; list both as a fallback list (parser: [a, b]) if lines come in both formats`);
  }
  if (parsing.time_format) c.time_format = parsing.time_format;
  if (parsing.timezone) c.timezone = parsing.timezone;
}
