// Reload without loss (docs/reload.md), on real processes: SIGHUP with a valid
// config (an output added, one removed, one changed; an input's parser and
// fields changed) while a numbered writer runs; an unchanged output's buffer is
// never reopened (seen from outside: a buffer writes tail.json when it closes);
// an invalid config leaves the old one running and names every problem by path.
import { watch, type FSWatcher } from 'node:fs';
import { appendFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, logLines, until, useHarness, writeConfig } from '../support/logship-process.js';
import { checkNumbered, field, OutputReader, parseNumbered, readOutput, summarize, waitFor } from '../support/output.js';
import { startWriter, type RunningWriter } from '../support/writer.js';

const h = useHarness();
let writer: RunningWriter | undefined;
const watchers: FSWatcher[] = [];
afterEach(() => {
  writer?.kill();
  writer = undefined;
  for (const w of watchers.splice(0)) w.close();
});

/** Numbers of the numbered lines in an output directory. */
const numbers = (dir: string) => readOutput(dir).events.flatMap((e) => parseNumbered(e.message)?.n ?? []);

/** Records every name that appears in `dir` (inotify through fs.watch): a disk buffer writes tail.json only when it closes. */
function namesSeenIn(dir: string): Set<string> {
  const seen = new Set<string>();
  const w = watch(dir, (_event, name) => {
    if (name) seen.add(String(name));
  });
  watchers.push(w);
  return seen;
}

describe('SIGHUP with a valid config', () => {
  it('adds, removes and rebuilds outputs and restarts changed inputs from their offsets: no line lost or duplicated, the unchanged buffer never reopened', async () => {
    const root = await h.tmp('reload');
    const log = path.join(root, 'logs', 'app.log');
    const jsonLog = path.join(root, 'logs', 'json.log');
    await writeFile(log, '');
    await writeFile(jsonLog, `${JSON.stringify({ message: 'before-1', level: 'warn' })}\n`);
    const out = (name: string) => path.join(root, `out-${name}`);
    const fileOutput = (name: string, dir = out(name)) => ({ type: 'file', name, path: dir, prefix: '', sync_interval: '200ms' });
    const base = baseConfig(root, [{ name: 'app', paths: [log], fields: { phase: 'one' } }, { name: 'json', paths: [jsonLog] }]);
    const before = { ...base, outputs: [fileOutput('keep'), fileOutput('gone'), fileOutput('moved', out('moved-a'))] };
    const after = {
      ...base,
      inputs: [
        { ...(base.inputs as object[])[0], fields: { phase: 'two' } },
        { ...(base.inputs as object[])[1], parser: 'json' },
      ],
      // keep's routing changes (json no longer goes to it): routing alone must not rebuild it.
      outputs: [{ ...fileOutput('keep'), inputs: ['app'] }, fileOutput('moved', out('moved-b')), fileOutput('added')],
    };
    const cfgPath = await writeConfig(root, before);
    const proc = h.start(cfgPath);
    writer = startWriter({ file: log, count: 1_000_000, rate: 400 });
    const keep = new OutputReader(out('keep'));
    await until('lines shipped before the reload', proc, () => keep.poll() >= 200);

    const buffers = path.join(root, 'state', 'buffers');
    const keepNames = namesSeenIn(path.join(buffers, 'keep'));
    const movedNames = namesSeenIn(path.join(buffers, 'moved'));
    await writeConfig(root, after);
    proc.child.kill('SIGHUP');
    await until('config reloaded', proc, () => logLines(proc, 'config reloaded').length === 1);
    expect(logLines(proc, 'config reloaded')[0]!.outputs).toEqual({ added: ['added'], changed: ['moved'], removed: ['gone'], unchanged: ['keep'] });
    await until('both inputs restarted', proc, () => logLines(proc, 'input restarted with its new config').length === 2);
    await appendFile(jsonLog, `${JSON.stringify({ message: 'after-1', level: 'warn' })}\n`);

    // The writer keeps going past the reload; then it stops and every line it wrote must arrive.
    const added = new OutputReader(out('added'));
    await until('lines shipped to the added output', proc, () => added.poll() >= 200);
    const { last } = await writer.stop();
    writer = undefined;
    await waitFor(keep, () => checkNumbered(keep.events, { last }).missing.length === 0, () => summarize(checkNumbered(keep.events, { last })), { proc, timeoutMs: 120_000 });
    await until('the json line written after the reload shipped', proc, () => readOutput(out('added')).events.some((e) => e.message === 'after-1'));
    // Before the stop, which closes every buffer.
    const keepSeen = [...keepNames];
    const movedSeen = [...movedNames];
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });

    // The unchanged output: every line exactly once, and its buffer was never closed (no tail.json written).
    const report = checkNumbered(readOutput(out('keep')).events, { last });
    expect(report.missing, summarize(report)).toEqual([]);
    expect(report.unexpected, summarize(report)).toBe(1); // before-1, the json line from before the reload
    expect(report.duplicates, summarize(report)).toBe(0);
    expect(keepSeen.filter((n) => n.includes('tail.json'))).toEqual([]);
    // The detector works: the changed output's buffer was closed and reopened.
    expect(movedSeen.some((n) => n.includes('tail.json'))).toBe(true);

    // Removed and added outputs: each batch went to the old outputs or the new ones, never both;
    // the added one has an unbroken run of lines up to the last.
    const addedNums = numbers(out('added')).sort((a, b) => a - b);
    const goneNums = numbers(out('gone'));
    expect(new Set(addedNums).size).toBe(addedNums.length);
    expect(addedNums.at(-1)).toBe(last);
    expect(addedNums.length).toBe(last - addedNums[0]! + 1);
    expect(Math.max(...goneNums)).toBeLessThan(addedNums[0]!);
    // The removed output's buffer stays on disk.
    expect(await readdir(buffers)).toContain('gone');

    // The changed output: its old and new directories together hold every line (its buffer carried over).
    const moved = [...readOutput(out('moved-a')).events, ...readOutput(out('moved-b')).events];
    expect(checkNumbered(moved, { last }).missing).toEqual([]);

    // The changed inputs: fields and parser of the new config from the switch on, nothing read twice.
    const keepEvents = readOutput(out('keep')).events;
    const phases = keepEvents.filter((e) => parseNumbered(e.message)).map((e) => field(e.raw, 'phase'));
    expect(new Set(phases)).toEqual(new Set(['one', 'two']));
    expect(keepEvents.filter((e) => e.message.includes('before-1'))).toHaveLength(1);
    // The new routes: the json input's later events go to the added output only.
    expect(keepEvents.filter((e) => e.message.includes('after-1'))).toHaveLength(0);
    const afterEvent = readOutput(out('added')).events.find((e) => e.message === 'after-1')!;
    expect(field(afterEvent.raw, 'log.level')).toBe('warn');
  });
});

describe('SIGHUP with an invalid config', () => {
  it('logs every problem by its path and keeps running the old config', async () => {
    const root = await h.tmp('reload-invalid');
    const log = path.join(root, 'logs', 'app.log');
    await writeFile(log, '');
    const config = baseConfig(root, [{ name: 'app', paths: [log] }]);
    const cfgPath = await writeConfig(root, config);
    const proc = h.start(cfgPath);
    await appendFile(log, 'line-000001 first\n');
    const reader = new OutputReader(path.join(root, 'out'));
    await until('the first line shipped', proc, () => reader.poll() >= 1);

    const bad = { ...config, inputs: [{ ...(config.inputs as object[])[0], poll_interval: 'often' }], outputs: [{ type: 'nowhere' }] };
    await writeConfig(root, bad);
    proc.child.kill('SIGHUP');
    await until('the reload rejected', proc, () => logLines(proc, /^reload rejected/).length === 1);
    const problems = logLines(proc, /^reload: /).map((r) => String(r.problem));
    expect(problems.some((p) => p.startsWith('inputs[0].poll_interval'))).toBe(true);
    expect(problems.some((p) => p.startsWith('outputs[0].type'))).toBe(true);

    await appendFile(log, 'line-000002 second\n');
    await until('a line written after the rejected reload shipped', proc, () => reader.poll() >= 2);
    expect(proc.running).toBe(true);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
  });
});

