import { existsSync } from 'node:fs';
import type { ChainSpec } from './chain.js';
import { FallbackParser } from './fallback.js';
import { resolveMultiline } from './multiline/presets.js';
import { isContainerFormat, parserRegistry, formatNames, type ContainerFormat } from './registry.js';
import { compileTimeFormat, isValidTimezone } from './timestamp.js';
import type { LineParser, ParserContext, ParserModule } from './types.js';
import { enableBacktrackFallback } from './regex-safety.js';
import { loadUserParser } from './user-module.js';

const DEFAULT_PARTIAL_TIMEOUT_MS = 5000;

/** One parser as `parser:` names it: a format name, `{ name, options }` or a user's `{ module, options }`. */
export type ParserSpec = string | { name?: string | undefined; module?: string | undefined; options: Record<string, unknown> };

/** The parsing part of an input's config (as validated by src/config/schema.ts). */
export interface ParsingConfig {
  /** A list is a fallback chain: the first parser that parses a record wins. */
  parser: ParserSpec | ParserSpec[];
  container?: ContainerFormat | undefined;
  multiline?:
    | { preset?: string | string[]; start?: string; continue?: string; max_lines?: number; max_bytes?: number; timeout?: number }
    | undefined;
  timezone?: string | undefined;
  time_format?: string | undefined;
  keep_original: boolean;
  fields_under: string;
  max_line_bytes: number;
  partial_line_timeout?: number | undefined;
}

export interface Problem {
  path: (string | number)[];
  message: string;
}

/** What `parser:` names, once the shorthand forms are unfolded. */
interface FormatChoice {
  container: ContainerFormat | undefined;
  /** A registry name, or undefined with `modulePath` set. */
  name: string | undefined;
  modulePath: string | undefined;
  options: Record<string, unknown>;
}

/** `parser: cri` is the cri wrapper around auto-detected content; `container: cri` + `parser: json` spells both. */
function chooseOne(cfg: ParsingConfig, parser: ParserSpec, at: (string | number)[], inList: boolean): FormatChoice | Problem {
  const spec = typeof parser === 'string' ? { name: parser, module: undefined, options: {} } : parser;
  if (spec.name !== undefined && spec.module !== undefined) return { path: at, message: 'give either name or module, not both' };
  if (spec.module !== undefined) return { container: cfg.container, name: undefined, modulePath: spec.module, options: spec.options };
  const name = spec.name ?? 'plain';
  const namePath = typeof parser === 'string' ? at : [...at, 'name'];
  if (isContainerFormat(name)) {
    if (inList) return { path: namePath, message: `"${name}" is a container format, not a content parser: set container: ${name} and list the content parsers` };
    if (cfg.container) return { path: namePath, message: `"${name}" is a container format; with container: ${cfg.container} name the content format here` };
    return { container: name, name: 'auto', modulePath: undefined, options: spec.options };
  }
  if (!parserRegistry.has(name)) return { path: namePath, message: `unknown parser "${name}" (one of ${formatNames().join(', ')}, or { module: ./path.js })` };
  return { container: cfg.container, name, modulePath: undefined, options: spec.options };
}

/** Every parser `parser:` names, with the config path of each (one, or the list's elements). */
function choose(cfg: ParsingConfig): { choice: FormatChoice | Problem; at: (string | number)[] }[] {
  if (!Array.isArray(cfg.parser)) return [{ choice: chooseOne(cfg, cfg.parser, ['parser'], false), at: ['parser'] }];
  return cfg.parser.map((p, i) => ({ choice: chooseOne(cfg, p, ['parser', i], true), at: ['parser', i] }));
}

function contextFor(cfg: ParsingConfig, now: () => number): ParserContext {
  return { timezone: cfg.timezone, timeFormat: cfg.time_format, now };
}

/** Creates the content parser, validating its options with the module's own schema. */
function instantiate(module: ParserModule<unknown>, options: Record<string, unknown>, ctx: ParserContext, builtIn: boolean, at: (string | number)[]): LineParser | Problem[] {
  let opts: unknown = options;
  if (module.options) {
    const parsed = module.options.safeParse(options);
    if (!parsed.success) return parsed.error.issues.map((i) => ({ path: [...at, 'options', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message }));
    opts = parsed.data;
  } else if (builtIn && Object.keys(options).length > 0) {
    // A user's module without a schema gets its options as written: it validates them itself.
    return [{ path: [...at, 'options'], message: `parser "${module.name}" takes no options` }];
  }
  try {
    return module.create(opts, ctx);
  } catch (err) {
    return [{ path: [...at, 'options'], message: (err as Error).message }];
  }
}

/** Config-time checks of an input's parsing settings (user modules are checked for existence only). */
export function checkParsing(cfg: ParsingConfig): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(cfg.parser) && cfg.parser.length === 0) problems.push({ path: ['parser'], message: 'an empty list: name at least one parser' });
  for (const { choice, at } of choose(cfg)) {
    if ('message' in choice) problems.push(choice);
    else if (choice.modulePath !== undefined) {
      if (!existsSync(choice.modulePath)) problems.push({ path: [...at, 'module'], message: `no such file: ${choice.modulePath}` });
    } else {
      const created = instantiate(parserRegistry.get(choice.name!)!, choice.options, contextFor(cfg, Date.now), true, at);
      if (Array.isArray(created)) problems.push(...created);
    }
  }
  if (cfg.multiline) {
    try {
      resolveMultiline(cfg.multiline);
    } catch (err) {
      problems.push({ path: ['multiline'], message: (err as Error).message });
    }
  }
  if (cfg.timezone !== undefined && !isValidTimezone(cfg.timezone)) {
    problems.push({ path: ['timezone'], message: `unknown time zone "${cfg.timezone}" (an IANA name like Europe/Berlin, UTC, or an offset like +02:00)` });
  }
  if (cfg.time_format !== undefined) {
    try {
      compileTimeFormat(cfg.time_format);
    } catch (err) {
      problems.push({ path: ['time_format'], message: (err as Error).message });
    }
  }
  return problems;
}

/** The chain for an input; throws with every problem in one message (a user module that fails to load included). */
export async function buildChainSpec(cfg: ParsingConfig, now: () => number = Date.now): Promise<ChainSpec> {
  const problems = checkParsing(cfg);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '));
  const ctx = contextFor(cfg, now);
  const parsers: { name: string; parser: LineParser }[] = [];
  for (const { choice, at } of choose(cfg) as { choice: FormatChoice; at: (string | number)[] }[]) {
    const module = choice.modulePath !== undefined ? await loadUserParser(choice.modulePath) : parserRegistry.get(choice.name!)!;
    const parser = instantiate(module, choice.options, ctx, choice.modulePath === undefined, at);
    if (Array.isArray(parser)) throw new Error(parser.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '));
    parsers.push({ name: module.name, parser });
  }
  const fallback = Array.isArray(cfg.parser) ? new FallbackParser(parsers) : undefined;
  const container = (choose(cfg)[0]!.choice as FormatChoice).container;
  const multiline = cfg.multiline ? resolveMultiline(cfg.multiline) : undefined;
  if (cfg.multiline?.start !== undefined || cfg.multiline?.continue !== undefined) enableBacktrackFallback();
  return {
    container,
    multiline: multiline ? { config: multiline.config, preset: multiline.preset } : undefined,
    parser: fallback ?? parsers[0]!.parser,
    parsedBy: fallback && (() => fallback.parsedBy()),
    maxLineBytes: cfg.max_line_bytes,
    partialTimeoutMs: cfg.partial_line_timeout ?? DEFAULT_PARTIAL_TIMEOUT_MS,
    normalize: {
      fieldsUnder: cfg.fields_under,
      keepOriginal: cfg.keep_original,
      timezone: cfg.timezone,
      timeFormat: cfg.time_format,
      now,
    },
  };
}
