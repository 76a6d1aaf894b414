import { applyParsing, fluentBitMultiline, fluentBitParser, fluentdParse, type Parsing } from './map-parsers.js';
import { COMMON_REASONS, describe, leftoverNotes, paramNote, type Dialect, type PlannedInput } from './plan.js';
import type { Section } from './section.js';
import { eventField, re2Regex } from './values.js';

/**
 * Filters as logship processors (`set`, `remove`, `rename`, `keep`, `drop`)
 * or as parsing settings of the inputs they apply to (a `parser` filter on
 * the line, Fluent Bit's `multiline` filter). Converted once per section and
 * applied to every input whose tag the filter matches.
 */
export interface FilterEffect {
  processors: Record<string, unknown>[];
  parsing?: Parsing;
  /** Notes for the inputs the filter applies to. */
  notes: string[];
}

const NOT_MAPPED: Record<string, string> = {
  kubernetes: 'logship adds no Kubernetes metadata (the pod, namespace and container are in the log file path)',
  aws: 'logship adds no EC2/ECS metadata; set static fields with a set processor or from the environment',
  ecs: 'logship adds no ECS task metadata',
  lua: 'logship runs no scripts; processors cover set, remove, rename, drop, keep, redact, sample and throttle',
  nest: 'logship does not restructure records beyond rename',
  rewrite_tag: 'logship routes by input name (outputs[].inputs), not by tag',
  rewrite_tag_filter: 'logship routes by input name (outputs[].inputs), not by tag',
  throttle: 'logship throttles by events per second (throttle processor) with no window setting: set it by hand',
  concat: 'use the input multiline settings (multiline.start / preset)',
  geoip: 'logship does no GeoIP lookup',
  stdout: 'a debugging filter',
};

/** Applies a converted filter to one input it reaches (each input gets its own copy of the processors). */
export function applyEffect(input: PlannedInput, effect: FilterEffect, where: string): void {
  input.processors.push(...structuredClone(effect.processors));
  if (effect.parsing) applyParsing(input, effect.parsing, where);
  input.notes.push(...effect.notes);
}

export function mapFilter(section: Section, plugin: string, dialect: Dialect, parsers: ReadonlyMap<string, Section>): FilterEffect {
  const effect: FilterEffect = { processors: [], notes: [] };
  const what = describe(section, plugin);
  section.take(dialect === 'fluentd' ? '@type' : 'name');
  section.take('match');
  switch (plugin) {
    case 'record_transformer':
    case 'record_modifier':
      if (dialect === 'fluentd') fluentdRecord(section, what, effect);
      else fluentBitRecord(section, what, effect);
      break;
    case 'modify':
      fluentBitModify(section, what, effect);
      break;
    case 'grep':
      if (dialect === 'fluentd') fluentdGrep(section, what, effect);
      else fluentBitGrep(section, what, effect);
      break;
    case 'parser': {
      const key = section.take('key_name');
      if (key !== undefined && eventField(key) !== 'message') {
        effect.notes.push(`${what} not converted: logship parses the line itself, not the field ${key}`);
        break;
      }
      if (dialect === 'fluentd') {
        const [parse] = section.takeChildren('parse');
        if (parse) effect.parsing = fluentdParse(parse, effect.notes);
      } else {
        const names = section.takeAll('parser');
        if (names.length > 1) effect.notes.push(`${what}: only the first Parser (${names[0]!.value}) converts; for a fallback list write parser: [a, b] on the input`);
        if (names[0]) effect.parsing = fluentBitParser(names[0].value, parsers, names[0].where, effect.notes);
      }
      effect.notes.push(`${what}: converted to the input's parser (logship keeps the line in event.original only with keep_original: true)`);
      break;
    }
    case 'multiline': {
      const list = section.take('multiline.parser');
      const key = section.take('multiline.key_content');
      if (list !== undefined) effect.parsing = fluentBitMultiline(list, parsers, section.where, effect.notes);
      if (key !== undefined && eventField(key) !== 'message') effect.notes.push(`${what}: multiline.key_content ${key}: logship assembles the lines themselves`);
      break;
    }
    default:
      effect.notes.push(`${what} not converted: ${NOT_MAPPED[plugin] ?? 'no logship processor does what this filter does'}`);
      return effect;
  }
  effect.notes.push(
    ...leftoverNotes(
      section,
      {
        ...COMMON_REASONS,
        reserve_data: 'logship keeps the fields it parsed from the line; other record keys do not exist in logship',
        preserve_key: 'logship keeps the line in event.original with keep_original: true',
        reserve_time: 'logship takes @timestamp from the parsed time, else the read time',
        uuid_key: 'every logship event has a unique event.id',
      },
      `no option of logship's processors matches it`,
    ),
  );
  return effect;
}

/**
 * A static value for a `set` processor, or the reason there is none: Ruby
 * (`#{…}`) and placeholders (`${tag}`, `${record[…]}`) are not static.
 * An environment variable (`${X}`, Fluentd's `#{ENV['X']}` read as such)
 * is: logship expands it when it loads the config.
 */
function staticValue(value: string): string | { reason: string } {
  if (/#\{/.test(value)) return { reason: 'Ruby code, evaluated by Fluentd' };
  if (/\$\{(hostname|tag|tag_parts|tag_prefix|tag_suffix|time|record)\b/.test(value)) return { reason: 'a per-record placeholder (logship sets host.name on every event; the tag is the input name)' };
  return value;
}

function setField(effect: FilterEffect, key: string, value: string, where: string): void {
  const v = staticValue(value);
  if (typeof v !== 'string') {
    effect.notes.push(paramNote({ key, value, where }, v.reason));
    return;
  }
  const field = eventField(key);
  if (field === 'host.hostname' || field === 'message' || field.startsWith('log.file')) {
    const owner = field === 'message' ? 'message from the line' : field === 'host.hostname' ? 'host.name on every event' : `${field} itself`;
    effect.notes.push(paramNote({ key, value, where }, `logship sets ${owner}`));
    return;
  }
  appendTo(effect, 'set', { [field]: v });
}

function appendTo(effect: FilterEffect, kind: 'set' | 'rename', entries: Record<string, string>): void {
  const last = effect.processors.at(-1);
  if (last && kind in last) Object.assign(last[kind] as object, entries);
  else effect.processors.push({ [kind]: entries });
}

function remove(effect: FilterEffect, keys: string[]): void {
  const fields = keys.map(eventField).filter((f) => f !== 'message');
  if (fields.length > 0) effect.processors.push({ remove: fields });
}

function fluentdRecord(section: Section, what: string, effect: FilterEffect): void {
  for (const record of section.takeChildren('record')) for (const p of record.params) setField(effect, p.key, p.value, p.where);
  const removeKeys = section.take('remove_keys');
  if (removeKeys !== undefined) remove(effect, removeKeys.split(',').map((k) => k.trim()));
  if (section.take('enable_ruby') !== undefined) effect.notes.push(`${what}: enable_ruby: fields computed by Ruby are listed above as not converted`);
}

function fluentBitRecord(section: Section, what: string, effect: FilterEffect): void {
  for (const p of section.takeAll('record')) {
    const m = /^(\S+)\s+(.*)$/.exec(p.value);
    if (m) setField(effect, m[1]!, m[2]!, p.where);
    else effect.notes.push(paramNote(p, 'expected "KEY VALUE"'));
  }
  const removed = [...section.takeAll('remove_key'), ...section.takeAll('remove_keys')].map((p) => p.value);
  if (removed.length > 0) remove(effect, removed);
  const allow = [...section.takeAll('allowlist_key'), ...section.takeAll('whitelist_key')];
  if (allow.length > 0) effect.notes.push(`${what}: Allowlist_Key not converted: logship events keep their schema fields; remove the others with a remove processor`);
}

function fluentBitModify(section: Section, what: string, effect: FilterEffect): void {
  for (const p of section.params) {
    const op = p.key.toLowerCase();
    const m = /^(\S+)\s+(.*)$/.exec(p.value);
    if (op === 'set' || op === 'add') {
      section.takeAll(p.key);
      if (m) setField(effect, m[1]!, m[2]!, p.where);
      if (op === 'add') effect.notes.push(paramNote(p, 'converted as set: logship overwrites a value already there, Add keeps it'));
    } else if (op === 'remove') {
      section.takeAll(p.key);
      remove(effect, [p.value.trim()]);
    } else if ((op === 'rename' || op === 'hard_rename') && m) {
      section.takeAll(p.key);
      appendTo(effect, 'rename', { [eventField(m[1]!)]: eventField(m[2]!.trim()) });
    }
  }
  if (section.params.some((p) => /^condition$/i.test(p.key))) effect.notes.push(`${what}: its Condition is not converted; the changes above apply to every event`);
}

/**
 * Fluentd's grep: every `<regexp>` must match (keep), any `<exclude>` drops;
 * `<and>`/`<or>` group them. The v0.12 `regexpN KEY PATTERN` form too.
 */
function fluentdGrep(section: Section, what: string, effect: FilterEffect): void {
  const keepAll: Record<string, unknown>[] = [];
  const dropAny: Record<string, unknown>[] = [];
  const condition = (s: Section): Record<string, unknown> | undefined => {
    const key = s.take('key');
    const pattern = s.take('pattern');
    if (key === undefined || pattern === undefined) return undefined;
    return matches(key, pattern, s.where, effect);
  };
  for (const r of section.takeChildren('regexp')) push(keepAll, condition(r));
  for (const x of section.takeChildren('exclude')) push(dropAny, condition(x));
  for (const and of section.takeChildren('and')) {
    const parts = [...and.takeChildren('regexp').map(condition), ...and.takeChildren('exclude').map((x) => negate(condition(x)))];
    push(keepAll, group('all', parts));
  }
  for (const or of section.takeChildren('or')) {
    const parts = [...or.takeChildren('regexp').map(condition), ...or.takeChildren('exclude').map((x) => negate(condition(x)))];
    push(keepAll, group('any', parts));
  }
  for (const p of section.params) {
    const legacy = /^(regexp|exclude)\d+$/.exec(p.key);
    const m = legacy && /^(\S+)\s+(.*)$/.exec(p.value);
    if (!legacy || !m) continue;
    section.takeAll(p.key);
    push(legacy[1] === 'regexp' ? keepAll : dropAny, matches(m[1]!, m[2]!, p.where, effect));
  }
  finishGrep(effect, keepAll, dropAny, 'all');
  if (keepAll.length + dropAny.length === 0) effect.notes.push(`${what}: no condition converted`);
}

/** Fluent Bit's grep: `Regex KEY RE` keeps, `Exclude KEY RE` drops; `Logical_Op and|or` joins them. */
function fluentBitGrep(section: Section, what: string, effect: FilterEffect): void {
  const op = (section.take('logical_op') ?? 'legacy').toLowerCase();
  const keep: Record<string, unknown>[] = [];
  const drop: Record<string, unknown>[] = [];
  for (const [key, list] of [['regex', keep], ['exclude', drop]] as const) {
    for (const p of section.takeAll(key)) {
      const m = /^(\S+)\s+(.*)$/.exec(p.value);
      if (m) push(list, matches(m[1]!, m[2]!, p.where, effect));
      else effect.notes.push(paramNote(p, 'expected "KEY REGEX"'));
    }
  }
  finishGrep(effect, keep, drop, op === 'or' ? 'any' : 'all');
  if (keep.length + drop.length === 0) effect.notes.push(`${what}: no condition converted`);
}

function finishGrep(effect: FilterEffect, keep: Record<string, unknown>[], drop: Record<string, unknown>[], join: 'all' | 'any'): void {
  const k = group(join, keep);
  const d = group('any', drop);
  if (k) effect.processors.push({ keep: { when: k } });
  if (d) effect.processors.push({ drop: { when: d } });
}

function matches(key: string, pattern: string, where: string, effect: FilterEffect): Record<string, unknown> | undefined {
  const re = re2Regex(pattern);
  if (typeof re !== 'string') {
    effect.notes.push(paramNote({ key, value: pattern, where }, `${re.reason}; the filter would keep or drop differently, so check the events by hand`));
    return undefined;
  }
  const field = eventField(key);
  if (field.startsWith('attributes.')) effect.notes.push(`grep on ${key} (${where}) reads ${field}: check that logship's parser puts it there (docs/parsers.md)`);
  // logship normalises log.level to lower case (docs/parsers.md, "log.level"): INFO must still match.
  return { matches: { [field]: field === 'log.level' && !re.startsWith('(?i)') ? `(?i)${re}` : re } };
}

function push(list: Record<string, unknown>[], c: Record<string, unknown> | undefined): void {
  if (c) list.push(c);
}

function negate(c: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return c && { not: c };
}

function group(op: 'all' | 'any', parts: (Record<string, unknown> | undefined)[]): Record<string, unknown> | undefined {
  const present = parts.filter((p): p is Record<string, unknown> => p !== undefined);
  if (present.length <= 1) return present[0];
  return { [op]: present };
}
