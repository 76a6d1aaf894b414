// Issue 9, item 13: an input that tails nothing says why. A glob matching no
// file, its directory missing, a matched FIFO: each logged once at warn (again
// if it comes back after it was cleared), and logship_input_files_matched
// counts what the globs match.
import { execFileSync } from 'node:child_process';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { statusPortOf } from '../support/admin.js';
import { baseConfig, requireEngine, sleep, until, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

async function filesMatched(port: number, input: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`logship_input_files_matched{input="${input}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

const warnings = (proc: LogshipProcess, msg: string) => proc.logRecords().filter((r) => r.level === 'warn' && r.msg === msg);

const NO_MATCH = 'glob matches no file (yet); its files are picked up when they appear';
const NO_DIR = 'directory of the glob does not exist; its files are picked up when it appears';
const NOT_REGULAR = 'matched path is not a regular file; not tailed';

describe('input warnings', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a missing directory and a FIFO are each reported once; files_matched follows the globs', async () => {
    const root = await h.tmp('inwarn-dir-fifo');
    const logs = path.join(root, 'logs');
    const missing = path.join(root, 'later');
    writeFileSync(path.join(logs, 'app.log'), 'app 1\n');
    execFileSync('mkfifo', [path.join(logs, 'pipe.log')]);
    const cfg = await writeConfig(root, {
      ...baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log'), path.join(missing, '*.log')], rescan_interval: '1s' }]),
      server: { listen: '127.0.0.1:0' },
    });
    const proc = h.start(cfg);
    const port = await statusPortOf(proc);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.some((e) => e.message === 'app 1'), () => `${reader.events.length} events`, { proc, what: 'app 1' });

    const noDir = await until('the missing-directory warning', proc, () => warnings(proc, NO_DIR)[0]);
    expect(noDir).toMatchObject({ input: 'app', glob: path.join(missing, '*.log'), dir: missing });
    const fifo = await until('the FIFO warning', proc, () => warnings(proc, NOT_REGULAR)[0]);
    expect(fifo).toMatchObject({ input: 'app', path: path.join(logs, 'pipe.log'), kind: 'FIFO' });
    expect(await filesMatched(port, 'app')).toBe(1);

    // Several rescans (1 s apart) later, still one line each.
    await sleep(3000);
    expect(warnings(proc, NO_DIR)).toHaveLength(1);
    expect(warnings(proc, NOT_REGULAR)).toHaveLength(1);

    mkdirSync(missing);
    writeFileSync(path.join(missing, 'b.log'), 'b 1\n');
    await waitFor(reader, () => reader.events.some((e) => e.message === 'b 1'), () => `${reader.events.length} events`, { proc, what: 'b 1 from the directory that appeared', stallMs: 60_000 });
    await until('files_matched 2', proc, async () => ((await filesMatched(port, 'app')) === 2 ? true : undefined));
    await until('the cleared line', proc, () => proc.logRecords().find((r) => r.msg === 'input problem cleared' && r.was === NO_DIR));
    expect((await proc.stop()).code, proc.describe()).toBe(0);
  });

  it('a glob that matches nothing is reported, cleared when a file appears, and reported again when it matches nothing again', async () => {
    const root = await h.tmp('inwarn-nomatch');
    const logs = path.join(root, 'logs');
    const glob = path.join(logs, '*.txt');
    const cfg = await writeConfig(root, { ...baseConfig(root, [{ name: 'app', paths: [glob], rescan_interval: '1s' }]), server: { listen: '127.0.0.1:0' } });
    const proc = h.start(cfg);
    const port = await statusPortOf(proc);
    const first = await until('the no-match warning', proc, () => warnings(proc, NO_MATCH)[0]);
    expect(first).toMatchObject({ input: 'app', glob });
    expect(await filesMatched(port, 'app')).toBe(0);

    const file = path.join(logs, 'a.txt');
    writeFileSync(file, 'a 1\n');
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.some((e) => e.message === 'a 1'), () => `${reader.events.length} events`, { proc, what: 'a 1' });
    await until('files_matched 1', proc, async () => ((await filesMatched(port, 'app')) === 1 ? true : undefined));
    expect(warnings(proc, NO_MATCH)).toHaveLength(1);

    unlinkSync(file);
    await until('the second no-match warning', proc, () => (warnings(proc, NO_MATCH).length === 2 ? true : undefined));
    await until('files_matched 0', proc, async () => ((await filesMatched(port, 'app')) === 0 ? true : undefined));
    expect((await proc.stop()).code, proc.describe()).toBe(0);
  });
});
