import type { Param, Section } from './section.js';

/**
 * What a conversion produces before it is written out: logship inputs and
 * outputs as plain config objects, each with the notes that go above it in
 * the YAML, and the notes that belong to no entry (a section that maps to
 * nothing, an `@include` not followed).
 */

export type Dialect = 'fluentd' | 'fluent-bit';

export interface PlannedInput {
  name: string;
  /** The tag events of this input carry in the old shipper: what `<match>`/`Match` patterns are tested against. */
  tag: string;
  config: Record<string, unknown>;
  processors: Record<string, unknown>[];
  notes: string[];
}

export interface PlannedOutput {
  config: Record<string, unknown>;
  /** Names of the inputs whose events the old shipper routed here. */
  inputs: string[];
  notes: string[];
}

export interface Plan {
  dialect: Dialect;
  source: string;
  inputs: PlannedInput[];
  outputs: PlannedOutput[];
  notes: string[];
}

/** How a section is named in notes: `<source> @type tail (td-agent.conf:12)`, `[OUTPUT] es (fluent-bit.conf:30)`. */
export function describe(section: Section, plugin: string): string {
  const fluentd = ['source', 'match', 'filter', 'parse', 'buffer', 'store', 'record', 'regexp', 'exclude', 'format', 'label', 'system', 'and', 'or'].includes(section.name);
  if (fluentd) return `<${section.name}${section.arg ? ` ${section.arg}` : ''}>${plugin ? ` @type ${plugin}` : ''} (${section.where})`;
  return `[${section.name.toUpperCase()}]${plugin ? ` ${plugin}` : ''} (${section.where})`;
}

/** A note for one parameter: `Mem_Buf_Limit 5MB (fluent-bit.conf:7) not converted: why`. */
export function paramNote(p: Param, why: string): string {
  const value = p.value.length > 60 ? `${p.value.slice(0, 57)}...` : p.value;
  return `${p.key} ${value} (${p.where}) not converted: ${why}`;
}

/**
 * Notes for whatever of `section` no mapper took: each parameter with the
 * reason `reasons` gives for its key (lower case), else `fallback`; each
 * nested section likewise.
 */
export function leftoverNotes(section: Section, reasons: Record<string, string>, fallback: string): string[] {
  const { params, children } = section.leftovers();
  return [
    ...params.map((p) => paramNote(p, reasons[p.key.toLowerCase()] ?? fallback)),
    ...children.map((c) => `${describe(c, c.peek('@type') ?? '')} not converted: ${reasons[`<${c.name}>`] ?? fallback}`),
  ];
}

/** Reasons shared by every kind of section. */
export const COMMON_REASONS: Record<string, string> = {
  '@id': 'used as the name',
  '@log_level': "logship has one log level for the process (log.level)",
  log_level: "logship has one log level for the process (log.level)",
  alias: 'used as the name',
  'storage.type': 'logship buffers every output on disk (buffer.type) rather than each input',
  'mem_buf_limit': 'logship bounds memory by the per-output buffer (buffer.max_size) and pauses reading when it is full',
  threaded: 'logship runs one process; inputs do not need threads',
};

/** `name`, or `name-2`, `name-3`… when another entry has it already. */
export function unique(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  for (let n = 2; ; n++) if (!taken.includes(`${name}-${n}`)) return `${name}-${n}`;
}
