// Issue 14, "Pod and host metadata, with no API access": a real `logship run`
// with `enrich: { kubernetes }`, its env vars set as the Downward API sets them
// and a Downward API volume laid out as the kubelet lays it out (`labels` →
// `..data/labels`, `..data` → a timestamped dir, swapped atomically on an
// update). Every event carries the metadata; a label changed while running
// reaches the events after it; a malformed file and an unset variable are
// warnings naming them, not a crash.
import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { waitForLog } from '../support/buffer-files.js';
import { field, OutputReader, waitFor, type WaitOptions } from '../support/output.js';

/** Generous: a loaded machine may take long to start logship. */
const WAIT: WaitOptions = { timeoutMs: 120_000, stallMs: 120_000 };

/** Writes a new generation of the volume and swaps `..data` to it, as the kubelet's atomic writer does. */
function writeVolume(dir: string, generation: number, files: Record<string, string>): void {
  const gen = path.join(dir, `..2026_12_06_00_00_0${generation}.000000001`);
  mkdirSync(gen);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(gen, name), text);
  const tmpLink = path.join(dir, '..data_tmp');
  symlinkSync(path.basename(gen), tmpLink);
  renameSync(tmpLink, path.join(dir, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(path.join('..data', name), path.join(dir, name));
    } catch {
      // the link exists from an earlier generation: it follows ..data
    }
  }
}

const POD_ENV = { POD_NAME: 'shop-7c9d5b-x2x4q', POD_NAMESPACE: 'prod', POD_UID: '0b0e2a2c-1111-2222-3333-444455556666', POD_IP: '10.1.2.3', NODE_NAME: 'node-a', CONTAINER_NAME: 'shop' };

describe('enrich.kubernetes in a running logship', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('puts env and Downward API file metadata on every event and follows a label change while running', async () => {
    const root = await h.tmp('enrich');
    const log = path.join(root, 'logs', 'app.log');
    const podinfo = path.join(root, 'podinfo');
    mkdirSync(podinfo);
    writeVolume(podinfo, 1, {
      labels: 'app="shop"\napp.kubernetes.io/version="1.0"',
      annotations: 'note="say \\"hi\\""\nprometheus.io/scrape="true"',
    });
    writeFileSync(log, 'first\n');
    const config = { ...baseConfig(root, [{ paths: [log], fields: { 'service.name': 'checkout' } }]), enrich: { kubernetes: { labels_file: path.join(podinfo, 'labels'), annotations_file: path.join(podinfo, 'annotations'), poll_interval: '200ms' } } };
    const proc = h.start(await writeConfig(root, config), POD_ENV);
    const out = new OutputReader(path.join(root, 'out'));
    await waitFor(out, () => out.events.length >= 1, () => 'no event yet', { ...WAIT, what: 'the first event', proc });
    const e = out.events[0]!.raw;
    expect({
      orchestrator: e.orchestrator,
      container: e.container,
      host: e.host,
      kubernetes: e.kubernetes,
      service: e.service,
    }).toEqual({
      orchestrator: { type: 'kubernetes', namespace: 'prod', resource: { name: POD_ENV.POD_NAME, type: 'pod' } },
      container: { name: 'shop' },
      host: { name: 'node-a' },
      kubernetes: {
        pod: { name: POD_ENV.POD_NAME, uid: POD_ENV.POD_UID, ip: '10.1.2.3' },
        namespace: 'prod',
        node: { name: 'node-a' },
        container: { name: 'shop' },
        labels: { app: 'shop', 'app_kubernetes_io/version': '1.0' },
        annotations: { note: 'say "hi"', 'prometheus_io/scrape': 'true' },
      },
      service: { name: 'checkout' },
    });

    // The pod is relabelled: the kubelet writes a new generation and swaps the symlink.
    writeVolume(podinfo, 2, { labels: 'app="shop"\napp.kubernetes.io/version="2.0"', annotations: 'prometheus.io/scrape="true"' });
    await waitForLog(proc, 'enrich.kubernetes: labels changed, new events carry them', 120_000);
    appendFileSync(log, 'after the change\n');
    await waitFor(out, () => out.events.some((ev) => ev.message === 'after the change'), () => 'not yet', { ...WAIT, what: 'the event after the change', proc });
    const after = out.events.find((ev) => ev.message === 'after the change')!.raw;
    expect(field(after, 'kubernetes.labels')).toEqual({ app: 'shop', 'app_kubernetes_io/version': '2.0' });
    expect(field(after, 'kubernetes.annotations')).toEqual({ 'prometheus_io/scrape': 'true' });
    expect(field(after, 'kubernetes.pod.name')).toBe(POD_ENV.POD_NAME);
    expect(proc.problems()).toEqual([]);
    expect((await proc.stop()).code).toBe(0);
  });

  it('an unset variable and a malformed or missing file are warnings naming them; the rest is still added', async () => {
    const root = await h.tmp('enrich-bad');
    const log = path.join(root, 'logs', 'app.log');
    const labels = path.join(root, 'labels');
    writeFileSync(labels, 'app="shop"\nthis is not a label\n');
    writeFileSync(log, 'one\n');
    const missing = path.join(root, 'no-annotations');
    const config = { ...baseConfig(root, [{ paths: [log] }]), enrich: { kubernetes: { env: { pod_name: 'MY_POD_NAME' }, labels_file: labels, annotations_file: missing } } };
    const env = { ...POD_ENV, POD_NAME: undefined, MY_POD_NAME: undefined, POD_IP: '' };
    const proc = h.start(await writeConfig(root, config), env);
    const out = new OutputReader(path.join(root, 'out'));
    await waitFor(out, () => out.events.length >= 1, () => 'no event yet', { ...WAIT, what: 'the first event', proc });
    const e = out.events[0]!.raw;
    expect(field(e, 'kubernetes.labels')).toEqual({ app: 'shop' });
    expect(field(e, 'kubernetes.namespace')).toBe('prod');
    expect(field(e, 'kubernetes.pod')).toEqual({ uid: POD_ENV.POD_UID });
    const warnings = proc.problems().join('\n');
    expect(warnings).toContain('MY_POD_NAME (enrich.kubernetes.env.pod_name');
    expect(warnings).toContain('POD_IP (enrich.kubernetes.env.pod_ip');
    expect(warnings).toContain(`enrich.kubernetes.labels_file: ${labels}: 1 malformed line(s) left out: line 2`);
    expect(warnings).toContain(`enrich.kubernetes.annotations_file: cannot read ${missing} (ENOENT)`);
    expect((await proc.stop()).code).toBe(0);
  });
});
