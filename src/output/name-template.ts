/**
 * Name templates: an S3 or `file` object prefix, an Elasticsearch index name.
 * One syntax for all of them:
 *
 * - strftime specifiers (`%Y %m %d %H …`, src/util/strftime.ts) of the
 *   event's `@timestamp`, UTC: partitions follow event time;
 * - `{host}` (this machine's host name), `{output}` (the output's name),
 *   `{input}` (the one input the output takes events from);
 * - `{a.field}`: the event's field, read from the record's bytes
 *   (record-field.ts); absent, null or empty it renders as `unknown`, or as
 *   the default given inline: `{service.name:-none}`.
 *
 * Values are sanitised for the place they go (S3 keys, index names): a
 * service called `a/b` must not add a partition level. A template without
 * event fields renders from the time alone, from strftime's per-bucket cache;
 * with fields, a record whose field bytes equal the previous record's gets
 * the previous name back: a run of records from one service allocates
 * nothing per record.
 */
import { hostname } from 'node:os';
import { compileStrftime, type TimeFormatter } from '../util/strftime.js';
import { recordStart, type RecordBatch } from './record-batch.js';
import { RecordField } from './record-field.js';

/** Where names go, which decides what a value may hold. */
export type NameKind = 'object-key' | 'index';

export interface NameTemplateOptions {
  readonly kind: NameKind;
  /** The output's name, for `{output}`. */
  readonly output: string;
  /** The inputs the output takes events from (undefined: every input), for `{input}`. */
  readonly inputs?: readonly string[] | undefined;
  /** For `{host}`; default os.hostname(). */
  readonly host?: string;
}

export interface NameTemplate {
  /** Record `i` of `batch`'s name, for its time `time` (a valid date); without a batch, every field renders as its default. */
  render(time: number, batch?: RecordBatch, i?: number): string;
  /** A glob matching every name the template can render (`*` for each specifier and placeholder). */
  readonly glob: string;
  /** The event fields it reads (empty: the name depends on the time alone). */
  readonly fields: readonly string[];
}

/** The default for an absent field when the template gives none. */
export const MISSING_FIELD = 'unknown';
/** A value longer than this is cut: keys and index names have length limits, and a stack trace is not a partition. */
export const MAX_VALUE_LENGTH = 100;

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** A field path: dot-separated segments of characters JSON never escapes and keys are made of. */
const FIELD_PATH = /^[A-Za-z0-9_@-]+(\.[A-Za-z0-9_@-]+)*$/;
const CONSTANTS = new Set(['host', 'input', 'output']);

/** S3's "safe characters" for keys, minus the ones query engines trip on (`*`, `'`, `(`, `)`, `!`, and `=`, Hive's separator). */
const UNSAFE_IN_KEY = /[^A-Za-z0-9._-]/g;
/** Index names: lower case, and for simplicity the same set as keys (ES forbids `\ / * ? " < > | , # :` and spaces). */
const UNSAFE_IN_INDEX = /[^a-z0-9._-]/g;

/** A value as it may appear in a name of this kind (an empty result means absent). */
export function sanitiseValue(value: string, kind: NameKind): string {
  const cut = value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
  const clean = kind === 'index' ? cut.toLowerCase().replace(UNSAFE_IN_INDEX, '_') : cut.replace(UNSAFE_IN_KEY, '_');
  // `.` and `..` are path steps to every tool that treats a key as a path.
  return clean === '.' || clean === '..' ? '_' : clean;
}

interface FieldSlot {
  readonly reader: RecordField;
  readonly missing: string;
  /** The raw bytes the last value came from and what it rendered as: a run of equal values decodes once. */
  lastBytes: Buffer;
  lastValue: string;
}

/**
 * Compiles `template`; throws, naming the problem, on an unknown strftime
 * specifier, an unclosed or empty `{}`, a field path a key cannot match, a
 * default that is not already clean, or `{input}` on an output that takes
 * events from several inputs.
 */
export function compileNameTemplate(template: string, options: NameTemplateOptions): NameTemplate {
  const { kind } = options;
  // The template split at each event field: text (strftime, constants filled in) between fields.
  const texts: string[] = [];
  const slots: FieldSlot[] = [];
  let text = '';
  let glob = '';
  let at = 0;
  const problem = (what: string): Error => new Error(`template ${JSON.stringify(template)}: ${what}`);
  for (const m of template.matchAll(PLACEHOLDER)) {
    text += template.slice(at, m.index);
    glob += template.slice(at, m.index);
    at = m.index + m[0].length;
    const [name = '', inlineDefault] = m[1]!.split(':-', 2) as [string, string | undefined];
    if (CONSTANTS.has(name) && inlineDefault === undefined) {
      text += constant(name, options, problem);
      glob += '*';
      continue;
    }
    if (!FIELD_PATH.test(name)) throw problem(`{${m[1]}} is neither {host}, {input}, {output} nor an event field like {service.name}`);
    const missing = inlineDefault ?? MISSING_FIELD;
    if (missing === '' || sanitiseValue(missing, kind) !== missing) {
      throw problem(`the default of {${m[1]}} must be a non-empty run of ${kind === 'index' ? 'lower-case ' : ''}letters, digits, ".", "_" or "-"`);
    }
    texts.push(text);
    text = '';
    glob += '*';
    slots.push({ reader: new RecordField(name), missing, lastBytes: Buffer.alloc(0), lastValue: missing });
  }
  const rest = template.slice(at);
  if (rest.includes('{') || rest.includes('}')) throw problem('a "{" or "}" without its pair (placeholders are {host}, {input}, {output} or {an.event.field})');
  texts.push(text + rest);
  glob += rest;
  // Throws on a bad specifier now, at config load, not on the first event.
  const formats = texts.map((t) => compileStrftime(t));
  glob = strftimeGlob(glob);
  const fields = slots.map((s) => s.reader.path);

  if (slots.length === 0) {
    const format = formats[0]!;
    return { render: (time) => format(time), glob, fields };
  }
  return { render: renderWithFields(formats, slots, kind), glob, fields };
}

function constant(name: string, options: NameTemplateOptions, problem: (what: string) => Error): string {
  let value: string;
  if (name === 'host') value = options.host ?? hostname();
  else if (name === 'output') value = options.output;
  else if (options.inputs?.length === 1) value = options.inputs[0]!;
  else {
    throw problem(
      '{input} needs the output to take events from exactly one input (`inputs: [name]`); for several, give each input a field (`fields: {labels.input: app}`) and use {labels.input}',
    );
  }
  // strftime must not read a `%` in a host name as a specifier: sanitising leaves none.
  return sanitiseValue(value, options.kind) || MISSING_FIELD;
}

function renderWithFields(formats: TimeFormatter[], slots: FieldSlot[], kind: NameKind): NameTemplate['render'] {
  const parts = new Array<string>(formats.length + slots.length);
  let lastName = '';
  return (time, batch, i) => {
    let changed = false;
    for (let f = 0; f < formats.length; f++) {
      const text = formats[f]!(time);
      // strftime returns the same string instance within a time bucket.
      if (parts[2 * f] !== text) changed = true;
      parts[2 * f] = text;
    }
    for (let s = 0; s < slots.length; s++) {
      const value = batch === undefined || i === undefined ? slots[s]!.missing : fieldValue(slots[s]!, batch, i, kind);
      if (parts[2 * s + 1] !== value) changed = true;
      parts[2 * s + 1] = value;
    }
    if (changed) lastName = parts.join('');
    return lastName;
  };
}

function fieldValue(slot: FieldSlot, batch: RecordBatch, i: number, kind: NameKind): string {
  const { reader } = slot;
  const data = batch.data;
  if (!reader.find(data, recordStart(batch, i), batch.ends[i]! - 1)) return slot.missing;
  const { valueStart, valueEnd } = reader;
  const last = slot.lastBytes;
  if (valueEnd - valueStart === last.length && data.compare(last, 0, last.length, valueStart, valueEnd) === 0) return slot.lastValue;
  const text = reader.text(data);
  slot.lastBytes = Buffer.from(data.subarray(valueStart, valueEnd));
  slot.lastValue = (text !== undefined && sanitiseValue(text, kind)) || slot.missing;
  return slot.lastValue;
}

/** The glob of a strftime pattern: each specifier a `*`, `%%` a `%`, runs of `*` folded. */
function strftimeGlob(pattern: string): string {
  return pattern.replace(/%./g, (s) => (s === '%%' ? '%' : '*')).replace(/\*+/g, '*');
}

/**
 * The problem with `template` as a config value, for a schema's check:
 * its syntax, or `{input}` on an output taking events from several inputs
 * (`inputs` undefined: every input). Undefined when it compiles.
 */
export function nameTemplateProblem(template: string, kind: NameKind, inputs: readonly string[] | undefined): string | undefined {
  try {
    compileNameTemplate(template, { kind, output: 'output', inputs, host: 'host' });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
