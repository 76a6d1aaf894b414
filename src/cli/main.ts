import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Env } from '../config/substitute.js';
import { bufferHelp, convertHelp, mainHelp, parseHelp, runHelp, tapHelp, topHelp, validateHelp } from './help.js';

/** Exit codes (contract): 0 ok, 1 bad config or input, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

/** A mistake on the command line: one line on stderr, exit 2. */
class UsageError extends Error {}

const configOptions = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;

const parseOptions = {
  format: { type: 'string', short: 'f' },
  container: { type: 'string' },
  multiline: { type: 'string' },
  'multiline-start': { type: 'string' },
  pattern: { type: 'string' },
  timezone: { type: 'string' },
  'time-format': { type: 'string' },
  config: { type: 'string', short: 'c' },
  input: { type: 'string' },
  expect: { type: 'string' },
  'read-time': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const bufferOptions = {
  path: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const topOptions = {
  server: { type: 'string', short: 's' },
  once: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const tapOptions = {
  server: { type: 'string', short: 's' },
  stage: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  limit: { type: 'string', short: 'n' },
  rate: { type: 'string' },
  format: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

const convertOptions = {
  from: { type: 'string' },
  'import-positions': { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Command {
  help: string;
  run(args: string[], env: Env): Promise<number>;
}

// Commands load their code on use: `--help` and `--version` stay instant, and
// `validate` never loads the pipeline that `run` needs.
const commands: Record<string, Command> = {
  run: {
    help: runHelp,
    run: async (args, env) => {
      const { values } = parseCommand('run', args, configOptions);
      if (values.help) return printHelp(runHelp);
      (await import('../runtime/heap-reexec.js')).sizeHeapFirst();
      const { runCommand } = await import('./run.js');
      return runCommand(configPath(values.config, env));
    },
  },
  validate: {
    help: validateHelp,
    run: async (args, env) => {
      const { values } = parseCommand('validate', args, configOptions);
      if (values.help) return printHelp(validateHelp);
      const { validateCommand } = await import('./validate.js');
      return validateCommand(configPath(values.config, env), env);
    },
  },
  parse: {
    help: parseHelp,
    run: async (args) => {
      const { values, positionals } = parse('logship parse', args, parseOptions, true);
      if (values.help) return printHelp(parseHelp);
      if (positionals.length > 1) throw new UsageError(`expected at most one FILE, got ${positionals.length} (see logship parse --help)`);
      const { parseCommand } = await import('./parse.js');
      return parseCommand({
        format: values.format,
        container: values.container,
        multiline: values.multiline,
        multilineStart: values['multiline-start'],
        pattern: values.pattern,
        timezone: values.timezone,
        timeFormat: values['time-format'],
        config: values.config,
        input: values.input,
        expect: values.expect,
        readTime: values['read-time'],
        file: positionals[0] ?? '-',
      });
    },
  },
  buffer: {
    help: bufferHelp,
    run: async (args) => {
      const { values, positionals } = parse('logship buffer', args, bufferOptions, true);
      if (values.help) return printHelp(bufferHelp);
      const [sub, ...extra] = positionals;
      if (sub === undefined) throw new UsageError('missing subcommand: inspect or verify (see logship buffer --help)');
      if (sub !== 'inspect' && sub !== 'verify') throw new UsageError(`unknown subcommand "${sub}" (subcommands: inspect, verify; see logship buffer --help)`);
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (see logship buffer --help)`);
      if (!values.path) throw new UsageError(`missing --path DIR (see logship buffer --help)`);
      if (values.json && sub === 'verify') throw new UsageError('--json is an option of logship buffer inspect (see logship buffer --help)');
      const { bufferInspectCommand, bufferVerifyCommand } = await import('./buffer.js');
      return sub === 'inspect' ? bufferInspectCommand(values.path, values.json === true) : bufferVerifyCommand(values.path);
    },
  },
  top: {
    help: topHelp,
    run: async (args) => {
      const { values } = parseCommand('top', args, topOptions);
      if (values.help) return printHelp(topHelp);
      const { topCommand } = await import('./top.js');
      const { DEFAULT_ADMIN_SERVER } = await import('./admin-client.js');
      return topCommand({ server: values.server ?? DEFAULT_ADMIN_SERVER, once: values.once === true });
    },
  },
  tap: {
    help: tapHelp,
    run: async (args) => {
      const { values } = parseCommand('tap', args, tapOptions);
      if (values.help) return printHelp(tapHelp);
      const { tapCommand } = await import('./tap.js');
      const { DEFAULT_ADMIN_SERVER } = await import('./admin-client.js');
      return tapCommand({
        server: values.server ?? DEFAULT_ADMIN_SERVER,
        stage: values.stage ?? 'parsed',
        input: values.input,
        output: values.output,
        limit: values.limit,
        rate: values.rate,
        format: values.format ?? 'json',
      });
    },
  },
  convert: {
    help: convertHelp,
    run: async (args, env) => {
      const { values, positionals } = parse('logship convert', args, convertOptions, true);
      if (values.help) return printHelp(convertHelp);
      if (values['import-positions']) {
        if (values.from !== undefined) throw new UsageError('give --from or --import-positions, not both (see logship convert --help)');
        if (positionals.length === 0) throw new UsageError('missing the pos_file or DB file to import (see logship convert --help)');
        const { importPositionsCommand } = await import('./import-positions.js');
        return importPositionsCommand(configPath(values.config, env), positionals, values.force === true, env);
      }
      if (values.from !== 'fluentd' && values.from !== 'fluent-bit') {
        throw new UsageError(values.from === undefined ? 'missing --from fluentd|fluent-bit (see logship convert --help)' : `--from: expected fluentd or fluent-bit, got "${values.from}"`);
      }
      if (values.force || values.config !== undefined) throw new UsageError('--config and --force go with --import-positions (see logship convert --help)');
      if (positionals.length !== 1) throw new UsageError(`expected one config FILE, got ${positionals.length} (see logship convert --help)`);
      const { convertConfigCommand } = await import('./convert.js');
      return convertConfigCommand(values.from, positionals[0]!);
    },
  },
};

/** Runs the command line `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], env: Env = process.env): Promise<number> {
  try {
    return await dispatch([...argv], env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`logship: ${err.message}\n`);
      return EXIT_USAGE;
    }
    // A bug, not a user mistake: keep the stack for the report.
    process.stderr.write(`logship: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_BAD_INPUT;
  }
}

async function dispatch(args: string[], env: Env): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('missing command (see logship --help)');
  if (!first.startsWith('-')) {
    const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
    if (!command) throw new UsageError(`unknown command "${first}" (commands: ${Object.keys(commands).join(', ')}; see logship --help)`);
    return command.run(rest, env);
  }

  // Global options come before any command: `logship --help`, `logship --version`.
  const { values, positionals } = parse('logship', args, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  }, true);
  if (values.version) {
    process.stdout.write(`logship ${version()}\n`);
    return EXIT_OK;
  }
  if (values.help) {
    // `logship --help validate` reads like `logship validate --help`.
    const topic = positionals[0];
    if (topic === undefined) return printHelp(mainHelp);
    if (!Object.hasOwn(commands, topic)) throw new UsageError(`unknown command "${topic}" (see logship --help)`);
    return printHelp(commands[topic]!.help);
  }
  throw new UsageError(`missing command before "${positionals[0]}" (see logship --help)`);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseCommand<O extends Options>(name: string, args: string[], options: O) {
  return parse(`logship ${name}`, args, options, false);
}

/** parseArgs in strict mode, its errors turned into one-line usage errors. */
function parse<O extends Options>(who: string, args: string[], options: O, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e.code !== 'string' || !e.code.startsWith('ERR_PARSE_ARGS_')) throw err;
    throw new UsageError(`${argsMessage(e.code, e.message ?? '')} (see ${who} --help)`);
  }
}

/** parseArgs's messages run to several sentences of advice; one clause is enough here. */
function argsMessage(code: string, message: string): string {
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const long = /--[\w-]+/.exec(message)?.[0] ?? quoted;
      if (/argument missing|ambiguous/.test(message)) return `option ${long} needs a value`;
      if (/does not take an argument/.test(message)) return `option ${long} takes no value`;
      break;
    }
  }
  const first = message.split(/\.\s|\n/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function configPath(flag: string | undefined, env: Env): string {
  return flag ?? (env.LOGSHIP_CONFIG || './logship.yaml');
}

function printHelp(text: string): number {
  process.stdout.write(text);
  return EXIT_OK;
}

/**
 * The version from package.json. Compiled, this module is dist/src/cli/main.js
 * and package.json is ../../../; from source (tests) it is ../../. Walking up to
 * the first logship package.json serves both.
 */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'logship' && pkg.version) return pkg.version;
    } catch {
      // Not here (or unreadable): keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
