import { ConvertSyntaxError, Section, type Param } from './section.js';

/**
 * Fluentd's configuration syntax (v1): `<name arg>` … `</name>` sections,
 * nested to any depth, holding `key value` lines. A value is bare (to the end
 * of the line, a ` #` starting a comment), "double-quoted" (escapes, `#{…}`
 * Ruby kept as written), 'single-quoted' (literal), or a JSON array or hash
 * that may span lines. `@include` splices another file's content in place.
 * Environment lookups in double-quoted values become `${NAME}`.
 */

/** Reads an `@include` target: the files it names (a glob may name several), or why it was not followed. */
export type IncludeReader = (target: string, fromFile: string) => { file: string; text: string }[] | string;

export interface FluentdDocument {
  /** A section named `root` holding the top-level sections. */
  root: Section;
  /** Notes on `@include`s: followed or not, and why. */
  notes: string[];
}

const OPEN = /^<\s*([A-Za-z_][\w-]*)\s*([^>]*?)\s*>\s*(?:#.*)?$/;
const CLOSE = /^<\/\s*([A-Za-z_][\w-]*)\s*>\s*(?:#.*)?$/;
const MAX_INCLUDE_DEPTH = 8;

export function parseFluentd(text: string, file: string, include: IncludeReader): FluentdDocument {
  const root = new Section('root', '', `${file}:1`);
  const notes: string[] = [];
  parseInto(root, text, file, include, notes, 0);
  return { root, notes };
}

function parseInto(root: Section, text: string, file: string, include: IncludeReader, notes: string[], depth: number): void {
  const lines = text.split(/\r?\n/);
  const stack: Section[] = [root];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const where = `${file}:${i + 1}`;
    if (line === '' || line.startsWith('#')) continue;
    const top = stack[stack.length - 1]!;
    const close = CLOSE.exec(line);
    if (close) {
      if (stack.length === 1) throw new ConvertSyntaxError(`${where}: </${close[1]}> closes no open section`);
      if (top.name !== close[1]!.toLowerCase()) throw new ConvertSyntaxError(`${where}: </${close[1]}> closes <${top.name}> (opened at ${top.where})`);
      stack.pop();
      continue;
    }
    const open = OPEN.exec(line);
    if (open) {
      const section = new Section(open[1]!.toLowerCase(), open[2]!, where);
      top.children.push(section);
      stack.push(section);
      continue;
    }
    if (line.startsWith('<')) throw new ConvertSyntaxError(`${where}: expected <section> or </section>, got "${line}"`);
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
    const key = m[1]!;
    if (key === '@include' || key === 'include') {
      const target = (m[2] ?? '').trim();
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConvertSyntaxError(`${where}: @include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      const found = include(target, file);
      if (typeof found === 'string') notes.push(`@include ${target} (${where}) not followed: ${found}; convert that file on its own`);
      else for (const f of found) parseInto(top, f.text, f.file, include, notes, depth + 1);
      continue;
    }
    // Top-level keys other than @include are not Fluentd: likely another format given to --from fluentd.
    if (stack.length === 1) throw new ConvertSyntaxError(`${where}: expected a <source>, <match>, <filter>, <label> or <system> section at the top level, got "${line}"`);
    const { value, next } = readValue(m[2] ?? '', lines, i, where);
    i = next;
    const param: Param = { key, value, where };
    top.params.push(param);
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw new ConvertSyntaxError(`${file}: <${open.name}> opened at ${open.where} is never closed`);
  }
}

/** A value starting on line `i` (`rest`: the text after the key); `next`: the last line it used. */
function readValue(rest: string, lines: string[], i: number, where: string): { value: string; next: number } {
  const first = rest.trimStart();
  if (first.startsWith('"') || first.startsWith("'")) return readQuoted(first, lines, i, where);
  if (first.startsWith('[') || first.startsWith('{')) {
    // A JSON array or hash may run over several lines: gather until the brackets balance.
    let text = first;
    let j = i;
    while (!balanced(text) && j + 1 < lines.length) text += `\n${lines[++j]!.trim()}`;
    if (!balanced(text)) throw new ConvertSyntaxError(`${where}: unclosed ${first[0]} in a value`);
    return { value: text, next: j };
  }
  // A bare value ends at a comment; a regex written whole (`/… #…/i`) keeps its #.
  const value = /^\/.*\/[a-z]*$/.test(first.trimEnd()) ? first : first.replace(/\s+#.*$/, '');
  return { value: value.trimEnd(), next: i };
}

function readQuoted(first: string, lines: string[], i: number, where: string): { value: string; next: number } {
  const quote = first[0]!;
  let out = '';
  let j = i;
  let text = first.slice(1);
  for (;;) {
    for (let k = 0; k < text.length; k++) {
      const c = text[k]!;
      if (c === '\\' && k + 1 < text.length) {
        const e = text[++k]!;
        // Single quotes keep every backslash but the one before a quote or a backslash.
        if (quote === "'") out += e === "'" || e === '\\' ? e : `\\${e}`;
        else out += ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' } as Record<string, string>)[e] ?? `\\${e}`;
        continue;
      }
      if (c === quote) return { value: quote === '"' ? envReferences(out) : out, next: j };
      out += c;
    }
    if (j + 1 >= lines.length) throw new ConvertSyntaxError(`${where}: unclosed ${quote} in a value`);
    out += '\n';
    text = lines[++j]!;
  }
}

/**
 * Fluentd evaluates `#{…}` in double-quoted values when it loads the config;
 * the environment lookups among them (`#{ENV['X']}`, with `|| 'default'` or
 * `ENV.fetch('X', 'default')`) are logship's `${X}` and `${X:-default}`.
 * Other Ruby is kept as written, for the mappers to note.
 */
function envReferences(value: string): string {
  return value
    .replace(/#\{ENV\[['"]([A-Za-z_]\w*)['"]\]\s*\|\|\s*['"]?([^'"}]*)['"]?\s*\}/g, '${$1:-$2}')
    .replace(/#\{ENV\.fetch\(['"]([A-Za-z_]\w*)['"]\s*,\s*['"]?([^'")]*)['"]?\)\s*\}/g, '${$1:-$2}')
    .replace(/#\{ENV\[['"]([A-Za-z_]\w*)['"]\]\}/g, '${$1}');
}

function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (quoted) {
      if (c === '\\') k++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0;
}
