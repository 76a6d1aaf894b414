import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { IncludeReader } from './fluentd-syntax.js';
import { ConvertSyntaxError, Section } from './section.js';

/**
 * Fluent Bit's two configuration formats, read into the same sections:
 *
 * - classic: `[SERVICE]`, `[INPUT]`, `[FILTER]`, `[OUTPUT]`, `[PARSER]`,
 *   `[MULTILINE_PARSER]` headers over indented `Key Value` lines, `@INCLUDE`
 *   (a glob), `@SET KEY=VALUE`;
 * - YAML: `service:`, `pipeline: { inputs, filters, outputs }`, `parsers:`,
 *   `multiline_parsers:`, `includes:`, `env:`.
 *
 * `${NAME}` of a variable set in the file (`@SET`, `env:`) is replaced here;
 * any other `${NAME}` is an environment variable, which logship expands from
 * the environment with the same syntax when it loads the config, so it is kept.
 */

export interface FluentBitDocument {
  sections: Section[];
  notes: string[];
}

const MAX_INCLUDE_DEPTH = 8;

/** YAML when the file name says so or its content is a YAML mapping with a Fluent Bit top-level key. */
export function isFluentBitYaml(file: string, text: string): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  return /^(service|pipeline|parsers|multiline_parsers|includes|env)\s*:/m.test(text) && !/^\s*\[[A-Za-z_]+\]\s*$/m.test(text);
}

export function parseFluentBit(text: string, file: string, include: IncludeReader): FluentBitDocument {
  const doc: FluentBitDocument = { sections: [], notes: [] };
  const vars = new Map<string, string>();
  if (isFluentBitYaml(file, text)) parseYaml(text, file, include, doc, vars, 0);
  else parseClassic(text, file, include, doc, vars, 0);
  return doc;
}

function parseClassic(text: string, file: string, include: IncludeReader, doc: FluentBitDocument, vars: Map<string, string>, depth: number): void {
  const lines = text.split(/\r?\n/);
  let current: Section | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const where = `${file}:${i + 1}`;
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[([A-Za-z_]+)\]$/.exec(line);
    if (header) {
      current = new Section(header[1]!.toLowerCase(), '', where);
      doc.sections.push(current);
      continue;
    }
    const directive = /^@(INCLUDE|SET)\s+(.*)$/i.exec(line);
    if (directive?.[1]!.toUpperCase() === 'SET') {
      const set = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(directive[2]!.trim());
      if (!set) throw new ConvertSyntaxError(`${where}: expected @SET NAME=VALUE, got "${line}"`);
      vars.set(set[1]!, set[2]!);
      continue;
    }
    if (directive) {
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConvertSyntaxError(`${where}: @INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      const target = directive[2]!.trim();
      const found = include(target, file);
      if (typeof found === 'string') doc.notes.push(`@INCLUDE ${target} (${where}) not followed: ${found}; convert that file on its own`);
      else for (const f of found) parseClassic(f.text, f.file, include, doc, vars, depth + 1);
      continue;
    }
    if (!current) throw new ConvertSyntaxError(`${where}: expected a [SECTION] header (e.g. [INPUT]) before "${line}"`);
    const kv = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
    current.params.push({ key: kv[1]!, value: substitute((kv[2] ?? '').trim(), vars), where });
  }
}

function parseYaml(text: string, file: string, include: IncludeReader, doc: FluentBitDocument, vars: Map<string, string>, depth: number): void {
  const lines = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (yaml.errors.length > 0) throw new ConvertSyntaxError(`${file}: not YAML: ${yaml.errors[0]!.message.split('\n')[0]}`);
  const top = yaml.contents;
  if (!isMap(top)) throw new ConvertSyntaxError(`${file}: expected a YAML mapping with service, pipeline, parsers… at the top`);
  const where = (node: Node | null | undefined) => `${file}:${node?.range ? lines.linePos(node.range[0]).line : 1}`;
  const known = ['service', 'pipeline', 'parsers', 'multiline_parsers', 'includes', 'env', 'customs', 'plugins'];
  for (const pair of top.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!known.includes(key)) {
      if (key === '' || doc.sections.length === 0) throw new ConvertSyntaxError(`${file}: "${key}" is not a Fluent Bit YAML section (expected ${known.join(', ')})`);
      doc.notes.push(`top-level "${key}" (${where(pair.key as Node)}) not converted: not a Fluent Bit section logship knows`);
    }
  }
  const env = top.get('env', true);
  if (isMap(env)) for (const pair of env.items) if (isScalar(pair.key)) vars.set(String(pair.key.value), scalarText(pair.value));
  const includes = top.get('includes', true);
  if (isSeq(includes)) {
    for (const item of includes.items) {
      const target = scalarText(item);
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConvertSyntaxError(`${where(item as Node)}: includes nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      const found = include(target, file);
      if (typeof found === 'string') doc.notes.push(`includes: ${target} (${where(item as Node)}) not followed: ${found}; convert that file on its own`);
      else for (const f of found) parseYaml(f.text, f.file, include, doc, vars, depth + 1);
    }
  }
  const service = top.get('service', true);
  if (isMap(service)) doc.sections.push(sectionOf('service', service, where, vars));
  const pipeline = top.get('pipeline', true);
  if (pipeline !== undefined && !isMap(pipeline)) throw new ConvertSyntaxError(`${where(pipeline as Node)}: pipeline: expected a mapping of inputs, filters and outputs`);
  for (const [list, name] of [['inputs', 'input'], ['filters', 'filter'], ['outputs', 'output']] as const) {
    const entries = isMap(pipeline) ? pipeline.get(list, true) : undefined;
    if (entries === undefined) continue;
    if (!isSeq(entries)) throw new ConvertSyntaxError(`${where(entries as Node)}: pipeline.${list}: expected a list`);
    for (const item of entries.items) {
      if (!isMap(item)) throw new ConvertSyntaxError(`${where(item as Node)}: pipeline.${list}: expected a mapping per entry`);
      doc.sections.push(sectionOf(name, item, where, vars));
    }
  }
  for (const [list, name] of [['parsers', 'parser'], ['multiline_parsers', 'multiline_parser']] as const) {
    const entries = top.get(list, true);
    if (isSeq(entries)) for (const item of entries.items) if (isMap(item)) doc.sections.push(sectionOf(name, item, where, vars));
  }
}

/** A YAML mapping as a section: a list value gives one parameter per item (as repeated keys do in the classic format). */
function sectionOf(name: string, map: import('yaml').YAMLMap, where: (n: Node | null | undefined) => string, vars: Map<string, string>): Section {
  const section = new Section(name, '', where(map));
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const at = where(pair.key as Node);
    const values = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const v of values) {
      // multiline rules are lists of objects: kept as JSON so the mapper can read them.
      const text = isScalar(v) ? scalarText(v) : JSON.stringify((v as { toJSON(): unknown } | null)?.toJSON() ?? null);
      section.params.push({ key, value: substitute(text, vars), where: at });
    }
  }
  return section;
}

function scalarText(node: unknown): string {
  return isScalar(node) ? String(node.value ?? '') : '';
}

/** `${NAME}` of a variable set in the file is replaced; an environment one is kept for logship to expand. */
function substitute(value: string, vars: Map<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref, name: string) => vars.get(name) ?? ref);
}
