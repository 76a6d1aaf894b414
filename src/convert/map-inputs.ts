import { applyParsing, fluentBitMultiline, fluentBitParser, fluentdParse } from './map-parsers.js';
import { COMMON_REASONS, describe, leftoverNotes, paramNote, type Dialect, type PlannedInput } from './plan.js';
import type { Section } from './section.js';
import { bool, duration, fromEnv, size } from './values.js';

/**
 * Fluentd's `in_tail` and Fluent Bit's `tail` as a logship input. The two
 * share most option names (Fluent Bit took them from Fluentd); the position
 * store (`pos_file`, `DB`) is noted with the command that imports it.
 */

const TAIL_REASONS: Record<string, string> = {
  ...COMMON_REASONS,
  path_key: 'logship always records the file in log.file.path',
  offset_key: 'logship always records the offset in log.offset',
  enable_stat_watcher: 'logship polls every file (poll_interval) and takes fs.watch events as hints',
  enable_watch_timer: 'logship polls every file (poll_interval) and takes fs.watch events as hints',
  inotify_watcher: 'logship polls every file (poll_interval) and takes fs.watch events as hints',
  follow_inodes: 'logship always follows a file by its identity (inode and head), across renames',
  skip_refresh_on_startup: 'logship expands the globs at start and every rescan_interval',
  open_on_every_update: 'logship keeps files open and follows rotations by identity',
  read_lines_limit: 'logship reads in chunks and pauses when a buffer is full',
  read_bytes_limit_per_second: 'no read rate limit in logship; a throttle processor limits events per second',
  buffer_chunk_size: 'logship sizes its reads itself',
  skip_long_lines: 'logship cuts long lines at max_line_bytes and tags them truncated instead of skipping them',
  skip_empty_lines: 'logship skips blank lines (counted)',
  encoding: 'logship reads UTF-8',
  from_encoding: 'logship reads UTF-8',
  emit_unmatched_lines: 'logship keeps unmatched lines as parse_failure events (never dropped)',
  ignore_repeated_permission_error: 'logship warns once per file',
  key: 'the line is always the message field in logship',
  tag_regex: 'logship routes by input name, not by tag',
  'db.sync': 'logship fsyncs its checkpoint file (checkpoint.interval)',
  'db.locking': 'logship fsyncs its checkpoint file (checkpoint.interval)',
  'db.journal_mode': 'logship fsyncs its checkpoint file (checkpoint.interval)',
  'db.compare_filename': 'logship matches files by inode and a fingerprint of their head',
  docker_mode_flush: 'logship joins partial docker lines itself',
  exit_on_eof: 'logship keeps tailing',
  static_batch_size: 'logship sizes its reads itself',
  '<parse>': 'a second <parse> section',
};

/** The input, or undefined with a note when the section names no path. */
export function mapTail(section: Section, dialect: Dialect, index: number, parsers: ReadonlyMap<string, Section>, notes: string[]): PlannedInput | undefined {
  const what = describe(section, 'tail');
  const path = section.take('path');
  if (path === undefined || path.trim() === '') {
    notes.push(`${what} not converted: it names no path`);
    return undefined;
  }
  const paths = path.split(',').map((p) => p.trim()).filter(Boolean);
  const rawTag = section.take('tag') ?? (dialect === 'fluentd' ? '' : `tail.${index}`);
  const input: PlannedInput = { name: '', tag: expandTag(rawTag, paths[0]!), config: {}, processors: [], notes: [] };
  const c = input.config;
  const inputNotes = input.notes;
  const name = section.take('@id') ?? section.take('alias');
  input.name = safeName(name ?? (rawTag.replace(/\.?\*+$/, '') || `tail-${index}`), `tail-${index}`);
  c.paths = paths;
  if (paths.some((p) => /%[A-Za-z]/.test(p))) inputNotes.push(`path ${path} holds strftime placeholders (Fluentd fills them with the current time): replace them with * globs`);

  const exclude = section.takeParam('exclude_path');
  if (exclude !== undefined) {
    const list = exclude.value.trim().startsWith('[') ? jsonStrings(exclude.value) : exclude.value.split(',').map((p) => p.trim()).filter(Boolean);
    if (list) c.exclude = list;
    else inputNotes.push(paramNote(exclude, 'expected a JSON array of strings'));
  }

  // Both shippers start a file seen for the first time at its end unless told to read it from the head.
  const headRaw = section.takeParam('read_from_head');
  const head = bool(headRaw?.value);
  c.start_at = head ? 'beginning' : 'end';
  if (headRaw !== undefined && head === undefined) inputNotes.push(`${headRaw.key} ${headRaw.value} (${headRaw.where}) is not true or false (set from the environment?): set start_at (beginning or end) to match`);

  const positions = section.take('pos_file') ?? section.take('db');
  if (positions !== undefined) {
    inputNotes.push(`the old shipper kept its read positions in ${positions}: import them with \`logship convert --import-positions --config THIS_FILE ${positions}\` before the first logship run, so nothing is shipped twice or skipped`);
  }

  const durations: [string, string][] = [['refresh_interval', 'rescan_interval'], ['rotate_wait', 'rotate_wait'], ['ignore_older', 'ignore_older'], ['limit_recently_modified', 'ignore_older']];
  for (const [from, to] of durations) {
    const p = section.takeParam(from);
    if (p === undefined) continue;
    const d = duration(p.value);
    if (d === undefined) inputNotes.push(paramNote(p, 'not a duration'));
    else c[to] = d;
  }
  const maxLine = section.takeParam('buffer_max_size') ?? section.takeParam('max_line_size');
  if (maxLine !== undefined) {
    const s = size(maxLine.value);
    if (s === undefined) inputNotes.push(paramNote(maxLine, 'not a size'));
    else c.max_line_bytes = s;
  }

  if (dialect === 'fluentd') mapFluentdParsing(section, input);
  else mapFluentBitParsing(section, input, parsers);
  if (c.parser === undefined && c.container === undefined) c.parser = 'plain';

  inputNotes.push(...leftoverNotes(section, TAIL_REASONS, 'no logship input option matches it'));
  return input;
}

function mapFluentdParsing(section: Section, input: PlannedInput): void {
  const [parse, ...more] = section.takeChildren('parse');
  if (parse) applyParsing(input, fluentdParse(parse, input.notes), parse.where);
  else if (section.peek('format') !== undefined) {
    // v0.12 style: format, time_format and friends on the source itself.
    applyParsing(input, fluentdParse(section, input.notes, true), section.where);
  }
  for (const extra of more) input.notes.push(`${describe(extra, extra.peek('@type') ?? '')} not converted: only one <parse> applies`);
  const flush = section.takeParam('multiline_flush_interval');
  if (flush !== undefined) {
    const d = duration(flush.value);
    if (d !== undefined && input.config.multiline) (input.config.multiline as Record<string, unknown>).timeout = d;
    else input.notes.push(paramNote(flush, d === undefined ? 'not a duration' : 'the input has no multi-line rules'));
  }
}

function mapFluentBitParsing(section: Section, input: PlannedInput, parsers: ReadonlyMap<string, Section>): void {
  const ml = section.take('multiline.parser');
  if (ml !== undefined) applyParsing(input, fluentBitMultiline(ml, parsers, section.where, input.notes), section.where);
  if (bool(section.take('docker_mode'))) {
    input.config.container = 'docker';
    const dmParser = section.take('docker_mode_parser');
    if (dmParser !== undefined) input.notes.push(`Docker_Mode_Parser ${dmParser} (${section.where}) not converted: logship joins docker's partial lines by their flag, without a first-line parser`);
  }
  const legacy = bool(section.take('multiline'));
  const firstline = section.take('parser_firstline');
  if (legacy && firstline !== undefined) {
    const first = fluentBitParser(firstline, parsers, section.where, input.notes);
    const pattern = (first?.parser as { options?: { pattern?: string } } | undefined)?.options?.pattern;
    if (pattern !== undefined) applyParsing(input, { ...first, multiline: { start: pattern } }, section.where);
    for (const p of section.params.filter((q) => /^parser_\d+$/i.test(q.key))) section.takeAll(p.key);
    input.notes.push(`Multiline On with Parser_Firstline ${firstline} (${section.where}): the first-line regex starts an event in logship and also parses it; Parser_N sections are not applied`);
  }
  const flush = section.take('multiline_flush');
  if (flush !== undefined && input.config.multiline) (input.config.multiline as Record<string, unknown>).timeout = duration(flush) ?? '4s';
  const parser = section.take('parser');
  if (parser !== undefined) {
    const p = fluentBitParser(parser, parsers, section.where, input.notes);
    if (p) applyParsing(input, p, section.where);
  }
}

function jsonStrings(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** In a tail input's tag, `*` stands for the file's path with `/` as `.` (both shippers do this). */
function expandTag(tag: string, path: string): string {
  return tag.includes('*') ? tag.replace('*', path.replace(/^\/+/, '').replace(/\//g, '.')) : tag;
}

/** A logship name (a directory under buffer.path): letters, digits, `_`, `.`, `-`. */
export function safeName(raw: string, fallback: string): string {
  const name = raw.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return name === '' || fromEnv(raw) ? fallback : name;
}
