// What a reload does to delivery accounting (src/checkpoint/delivery-tracker.ts)
// and which parts of a config it rebuilds (src/reload/config-diff.ts).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from '../../src/checkpoint/delivery-tracker.js';
import { parseConfigText, type ResolvedConfig } from '../../src/config/load.js';
import { planReload, type ReloadPlan } from '../../src/reload/config-diff.js';
import type { TailedFile } from '../../src/tail/tailed-file.js';

function fakeFile(ino: number): TailedFile {
  return {
    readPos: 0,
    resumeOffset: 0,
    key: `key${ino}`,
    path: `/var/log/app${ino}.log`,
    id: { dev: 7, ino, fp: { len: 12, crc: 1, final: true } },
    generation: 0,
    lastMtimeMs: 1_700_000_000_000,
  } as unknown as TailedFile;
}

const offsetOf = (t: DeliveryTracker, input: string) => t.snapshot()[input]?.map((e) => e.offset);

describe('DeliveryTracker across a reload', () => {
  it('a restarted input resumes where its batches were handed off, while the checkpoint waits for them to be durable', () => {
    const t = new DeliveryTracker(1);
    const old = fakeFile(1);
    t.opened('app', old);
    t.durable(0, t.dispatched(old, 100, 1));
    t.dispatched(old, 250, 1); // in flight when the input is restarted
    const resume = t.retire('app');
    expect(resume.map((p) => p.offset)).toEqual([250]);

    // The new tailer opens the same generation at the handed-off offset and reads on.
    const next = { ...fakeFile(1), readPos: 250 } as unknown as TailedFile;
    t.opened('app', next);
    const later = t.dispatched(next, 400, 1);
    expect(offsetOf(t, 'app')).toEqual([100]);
    t.durable(0, later);
    expect(offsetOf(t, 'app')).toEqual([400]);
  });

  it('a removed output no longer holds the checkpoint of the batches it did not take', () => {
    const t = new DeliveryTracker(2);
    const f = fakeFile(2);
    t.opened('app', f);
    const seq = t.dispatched(f, 100, 0b11);
    t.durable(0, seq);
    expect(offsetOf(t, 'app')).toEqual([0]);
    t.release(1);
    expect(offsetOf(t, 'app')).toEqual([100]);
  });
});

const root = '/tmp/logship-reload-plan';
function config(outputs: string, extra = ''): ResolvedConfig {
  const text = `inputs:\n  - { name: app, paths: [${path.join(root, '*.log')}] }\noutputs:\n${outputs}\nbuffer: { path: ${root} }\n${extra}`;
  return parseConfigText(text, 'test.yaml', {});
}
const names = (plan: ReloadPlan | string[]) => {
  if (Array.isArray(plan)) throw new Error(plan.join('; '));
  return { added: plan.outputs.added.map((o) => o.name), changed: plan.outputs.changed.map((o) => o.name), removed: plan.outputs.removed, unchanged: plan.outputs.unchanged };
};

describe('planReload', () => {
  const a = `  - { type: stdout, name: a }`;
  const b = `  - { type: file, name: b, path: ${root}/out }`;

  it('routing alone (an output\'s inputs list) does not rebuild the output', () => {
    const plan = planReload(config(`${a}\n${b}`), config(`${a}\n  - { type: file, name: b, path: ${root}/out, inputs: [app] }`));
    expect(names(plan)).toEqual({ added: [], changed: [], removed: [], unchanged: ['a', 'b'] });
  });

  it('an output whose keys or inherited buffer settings change is rebuilt; added and removed are named', () => {
    expect(names(planReload(config(`${a}\n${b}`), config(`  - { type: file, name: b, path: ${root}/other }\n  - { type: stdout, name: c }`)))).toEqual({
      added: ['c'],
      changed: ['b'],
      removed: ['a'],
      unchanged: [],
    });
    const bigger = planReload(config(a), { ...config(a), buffer: { ...config(a).buffer, max_size: 2 * 1024 ** 3 } });
    expect(names(bigger).changed).toEqual(['a']);
  });

  it('refuses what only a restart can change, by path', () => {
    const moved = { ...config(a), buffer: { ...config(a).buffer, path: '/elsewhere' } };
    expect(planReload(config(a), moved)).toEqual([expect.stringMatching(/^buffer\.path: /)]);
    expect(planReload(config(a), config(a, 'server: { listen: 127.0.0.1:0 }'))).toEqual([expect.stringMatching(/^server: /)]);
    expect(planReload(config(a), config(a, 'pipeline: { workers: 0 }'))).toEqual([expect.stringMatching(/^pipeline: /)]);
  });
});
