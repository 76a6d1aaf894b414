import { createReadStream, readFileSync } from 'node:fs';
import { ParserChain, type ChainRecord } from '../../parsers/chain.js';
import { errorText } from '../../parsers/types.js';
import { checkParsing, buildChainSpec, type ParsingConfig } from '../../parsers/setup.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { LINE_PARTIAL } from '../../parsers/line-flags.js';
import { newLineBatch } from '../tail/line-batch.js';
import { LineSplitter } from '../tail/line-splitter.js';
import { diffEvents } from './event-diff.js';
import { printConfigError } from './validate.js';

export interface ParseOptions {
  format?: string | undefined;
  container?: string | undefined;
  multiline?: string | undefined;
  multilineStart?: string | undefined;
  pattern?: string | undefined;
  timezone?: string | undefined;
  timeFormat?: string | undefined;
  /** Take the parsing settings of an input from a config file instead of the flags. */
  config?: string | undefined;
  input?: string | undefined;
  expect?: string | undefined;
  /** Time for events without their own (and "now" for year inference): fixed, for reproducible golden files. */
  readTime?: string | undefined;
  file: string;
}

const MAX_FAILURE_LINES = 20;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * `logship parse`: raw lines in, normalised events out as NDJSON, through the
 * same splitter and parser chain as `logship run`. With `--expect` the output
 * is compared with a golden file instead: a readable diff and exit 1 on mismatch.
 */
export async function parseCommand(opts: ParseOptions): Promise<number> {
  const settings = await parsingSettings(opts);
  if (typeof settings === 'number') return settings;
  const readTime = opts.readTime === undefined ? Date.now() : Date.parse(opts.readTime);
  if (Number.isNaN(readTime)) return usage(`--read-time: expected an ISO 8601 time, got "${opts.readTime}"`);

  let failures = 0;
  const skipped = { blank: 0, dropped: 0 };
  const spec = await buildChainSpec(settings, () => readTime);
  const chain = new ParserChain(
    spec,
    (reason, offset) => {
      failures++;
      if (failures <= MAX_FAILURE_LINES) process.stderr.write(`logship: parse_failure at byte ${offset}: ${reason}\n`);
    },
    (reason) => skipped[reason]++,
  );

  // `logship parse … | head`: a reader that has seen enough is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`logship: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });

  const lines: string[] = [];
  const emit = async (records: ChainRecord[]): Promise<void> => {
    for (const r of records) {
      let line: string;
      try {
        line = encode(r);
      } catch (err) {
        line = encode(chain.unencodable(r, errorText(err)));
      }
      if (opts.expect !== undefined) lines.push(line);
      else if (!process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
    records.length = 0;
  };

  const source = { path: opts.file, key: '' };
  const splitter = new LineSplitter(settings.max_line_bytes, 0);
  const records: ChainRecord[] = [];
  let pos = 0;
  const stream = opts.file === '-' ? process.stdin : createReadStream(opts.file, { highWaterMark: 1024 * 1024 });
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (err) {
      process.stderr.write(`logship: cannot read ${opts.file}: ${(err as Error).message}\n`);
      return 1;
    }
    if (next.done) break;
    const chunk = next.value;
    const batch = newLineBatch(source);
    splitter.push(chunk, chunk.length, pos, batch);
    pos += chunk.length;
    chain.push(source, batch.texts, batch.offsets, batch.flags, readTime, records);
    await emit(records);
  }
  // A last line without a newline is complete here: the input has ended (it keeps a truncated flag).
  const last = newLineBatch(source);
  splitter.flushPartial(last, pos);
  const lastFlags = last.flags && last.flags.map((f) => f & ~LINE_PARTIAL);
  chain.push(source, last.texts, last.offsets, lastFlags, readTime, records);
  chain.flushAll(readTime, records);
  await emit(records);
  if (failures > MAX_FAILURE_LINES) process.stderr.write(`logship: ${failures} parse failures in all\n`);
  if (skipped.blank > 0) process.stderr.write(`logship: ${skipped.blank} blank line${skipped.blank === 1 ? "" : "s"} skipped\n`);
  if (skipped.dropped > 0) process.stderr.write(`logship: ${skipped.dropped} record${skipped.dropped === 1 ? "" : "s"} dropped by the parser (it returned null)\n`);

  if (opts.expect === undefined) return 0;
  return compareWithGolden(lines, opts.expect);
}

/** What `logship parse` prints of an event: the chain's event plus `log.offset` (no file, id or host). */
function encode(r: ChainRecord): string {
  const log = ((r.event.log as Record<string, unknown> | undefined) ??= {}) as Record<string, unknown>;
  log.offset = r.offset;
  return JSON.stringify(r.event);
}

function compareWithGolden(actual: string[], goldenPath: string): number {
  let text: string;
  try {
    text = readFileSync(goldenPath, 'utf8');
  } catch (err) {
    process.stderr.write(`logship: cannot read ${goldenPath}: ${(err as Error).message}\n`);
    return 1;
  }
  const expected = text.split('\n').filter((l) => l.length > 0);
  const diff = diffEvents(expected, actual);
  if (diff.length === 0) {
    process.stderr.write(`logship: ${actual.length} events match ${goldenPath}\n`);
    return 0;
  }
  process.stderr.write(`logship: output differs from ${goldenPath}:\n${diff.join('\n')}\n`);
  return 1;
}

/** The input's parsing settings: from a config file's input, or from the flags. */
async function parsingSettings(opts: ParseOptions): Promise<ParsingConfig | number> {
  if (opts.config !== undefined) {
    let config;
    try {
      config = await loadConfig(opts.config);
    } catch (err) {
      if (err instanceof ConfigError) {
        printConfigError(err);
        return 1;
      }
      throw err;
    }
    const input = opts.input === undefined ? config.inputs[0] : config.inputs.find((i) => i.name === opts.input);
    if (!input) return usage(`--input: no input named "${opts.input}" in ${opts.config}`);
    return input;
  }
  if (opts.format === undefined) return usage('--format NAME is required (or --config FILE)');
  if (opts.multiline !== undefined && opts.multilineStart !== undefined) return usage('give --multiline or --multiline-start, not both');
  if (opts.format === 'regex' && opts.pattern === undefined) return usage('--pattern: --format regex needs --pattern REGEX (named groups become fields)');
  if (opts.container !== undefined && opts.container !== 'cri' && opts.container !== 'docker') return usage(`--container: expected cri or docker, got "${opts.container}"`);
  const settings: ParsingConfig = {
    // `--format json,nginx,plain`: a fallback list, as `parser: [json, nginx, plain]`.
    parser: opts.pattern !== undefined ? { name: opts.format, options: { pattern: opts.pattern } } : opts.format.includes(',') ? opts.format.split(',') : opts.format,
    container: opts.container as ParsingConfig['container'],
    multiline: opts.multiline !== undefined ? { preset: opts.multiline } : opts.multilineStart !== undefined ? { start: opts.multilineStart } : undefined,
    timezone: opts.timezone,
    time_format: opts.timeFormat,
    keep_original: false,
    fields_under: 'attributes',
    max_line_bytes: DEFAULT_MAX_LINE_BYTES,
  };
  const problems = checkParsing(settings);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`logship: ${flagFor(p.path, opts)}: ${p.message}\n`);
    return 2;
  }
  return settings;
}

/** The command-line flag behind a problem found in the settings built from the flags. */
function flagFor(path: readonly (string | number)[], opts: ParseOptions): string {
  const [first, second, third] = path;
  if (first === 'parser' && second === 'options' && third === 'pattern') return '--pattern';
  if (first === 'multiline') return opts.multiline !== undefined ? '--multiline' : '--multiline-start';
  return { parser: '--format', timezone: '--timezone', time_format: '--time-format' }[String(first)] ?? path.join('.');
}

function usage(message: string): number {
  process.stderr.write(`logship: ${message} (see logship parse --help)\n`);
  return 2;
}
