import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { NamedOutputConfig } from '../../outputs/registry.js';
import { ConfigError, formatPath, isSecretPath, issueToProblems, valueAt, type ConfigPath, type Problem } from './errors.js';
import { scrub, secretsInSource, withSecrets, type SourceSecrets } from './secrets.js';
import { crossCheck } from './cross-check.js';
import { configSchema, type Config, type InputConfig } from './schema.js';
import { substituteEnv, type Env } from './substitute.js';

export { ConfigError } from './errors.js';

/** The validated config with every input and output named. */
export type ResolvedConfig = Omit<Config, 'inputs' | 'outputs'> & {
  inputs: InputConfig[];
  outputs: NamedOutputConfig[];
};
export type LoadedConfig = ResolvedConfig;

/**
 * Reads, substitutes and validates a config file. Throws ConfigError with
 * every problem found, including a missing or unreadable file.
 */
export async function loadConfig(file: string, env: Env = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read config file ${file}: ${osReason(err)}`]);
  }
  return parseConfigText(text, file, env);
}

/** Like loadConfig, for text already in hand; `sourceName` labels the ConfigError. */
export function parseConfigText(text: string, sourceName: string, env: Env = process.env): LoadedConfig {
  // Whatever goes wrong, no message may carry a secret: every problem is scrubbed on its way out.
  let secrets = secretsInSource(text);
  const fail: (problems: string[]) => never = (problems) => {
    throw new ConfigError(sourceName, problems.map((p) => scrub(p, secrets)));
  };
  const lines = new LineCounter();
  // prettyErrors off: its messages quote the source line, which may hold a secret.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const render = (p: Problem): string => {
    const line = p.offset === undefined ? '' : ` (line ${lines.linePos(p.offset).line})`;
    return `${formatPath(p.path)}: ${p.message}${line}`;
  };

  if (doc.errors.length > 0) {
    // Validating a half-parsed document would add noise: report the syntax alone.
    // After the first real syntax error the parser trips over every later token
    // (one unclosed bracket gives dozens), so only that one is worth reading;
    // duplicate keys are independent of each other and all reported.
    const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    const problems = doc.errors
      .filter((e) => e === firstSyntax || e.code === 'DUPLICATE_KEY')
      .map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        const source = text.slice(lines.lineStarts[line - 1], lines.lineStarts[line] ?? text.length);
        // The library's text may quote a piece of the line (an escape, a header, an alias): not on a secret's line.
        const message = secrets.lines.has(line) ? `${e.code.toLowerCase().replaceAll('_', ' ')} in the value of a secret key (value not shown)` : syntaxMessage(e.code, e.message);
        return `YAML syntax: ${message}${flowHint(source)} (line ${line}, column ${col})`;
      });
    fail(problems);
  }
  if (doc.contents === null) fail(['the config is empty: expected a mapping with inputs and outputs']);
  if (!isMap(doc.contents)) {
    const what = isSeq(doc.contents) ? 'a list' : 'a single value';
    fail([`the config must be a mapping with inputs and outputs at the top level, got ${what} (line 1)`]);
  }

  const substitution = substituteEnv(doc, env);

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // yaml refuses alias bombs (maxAliasCount) and unknown aliases with an exception, not a doc error.
    fail([`YAML: ${(err as Error).message}`]);
  }
  secrets = withEnvironment(secrets, data, substitution.substituted);

  const result = configSchema.safeParse(data);
  const crossProblems = crossCheck(data);
  if (!result.success || substitution.problems.length > 0 || crossProblems.length > 0) {
    // A value whose substitution failed still holds `${VAR}`; the schema's
    // complaint about that text would only repeat the substitution problem.
    const failed = new Set(substitution.problems.map((p) => formatPath(p.path)));
    // The environment is where secrets live (`url: ${ES_URL}` may carry a
    // password), so a value that came from it is never echoed either.
    const fromEnv = new Set(substitution.substituted.map(formatPath));
    // A problem inside such a value (`hosts[0]` of `hosts: ${ES_URL}`) is hidden as well.
    const hidden = (path: ConfigPath) => isSecretPath(path) || path.some((_, i) => fromEnv.has(formatPath(path.slice(0, i + 1))));
    const schemaProblems = [...(result.error?.issues ?? []).flatMap((issue) => issueToProblems(issue, data, hidden)), ...crossProblems]
      .filter((p) => !failed.has(formatPath(p.path)))
      .map((p) => ({ ...p, offset: locate(doc, p.path) }));
    // One line per problem: two checks that reach the same verdict on one key say it once.
    fail([...new Set(inFileOrder([...substitution.problems, ...schemaProblems]).map(render))]);
  }
  return nameAll(result.data);
}

/** The environment's values are secrets under secret keys, and their URLs' userinfo anywhere. */
function withEnvironment(secrets: SourceSecrets, data: unknown, substituted: readonly ConfigPath[]): SourceSecrets {
  const secret: string[] = [];
  const other: string[] = [];
  for (const path of substituted) {
    const value = valueAt(data, path);
    if (typeof value === 'string') (isSecretPath(path) ? secret : other).push(value);
  }
  return withSecrets(secrets, secret, other);
}

/** Top to bottom, as the user reads the file; problems without a line (top-level keys) first. */
function inFileOrder(problems: Problem[]): Problem[] {
  // Array sort is stable: problems on one line keep zod's order.
  return [...problems].sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
}

/** Fills in the names the rest of logship keys on: `input-<i>`, `<type>-<i>`. */
function nameAll(config: Config): ResolvedConfig {
  return {
    ...config,
    inputs: config.inputs.map((input, i) => ({ ...input, name: input.name ?? `input-${i}` })),
    outputs: config.outputs.map((output, i) => ({ ...output, name: output.name ?? `${output.type}-${i}` })),
  };
}

/**
 * The source offset for a path: the key itself when it names a map entry (an
 * unknown key points at its own line), else the value; for a path that does
 * not exist (a missing key) the nearest enclosing node. The top level has no
 * useful line.
 */
function locate(doc: Document, path: ConfigPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

/** The yaml package's messages, with its advice that does not apply to a config file. */
function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (---); a config is one document';
  return message;
}

/**
 * `{` is YAML flow syntax, so an unquoted `${VAR}` inside `[ ]` or `{ }` breaks
 * the parse before substitution can happen. The common case deserves a hint.
 */
function flowHint(line: string): string {
  const ref = line.indexOf('${');
  if (ref < 0 || !/[[{]/.test(line.slice(0, ref))) return '';
  return '; inside [ ] or { } a variable must be quoted: "${VAR}"';
}

/** `no such file or directory (ENOENT)` from a Node fs error. */
function osReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    // Node's message is `ENOENT: no such file or directory, open '/x'`: keep the
    // reason, drop the syscall and the path (already named).
    const m = /^[A-Z0-9_]+: (.*?)(?:, \w+(?: '.*')?)?$/s.exec(e.message);
    return `${m ? m[1] : e.message} (${e.code})`;
  }
  return String(err);
}
