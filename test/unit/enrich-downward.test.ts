// Issue 14, "Pod and host metadata, with no API access": the Downward API
// files' `key="value"` format with Go's %q escaping, the env var and file
// fields, and the encoder picking up a changed enrichment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDownwardFile, unquoteGo } from '../../src/enrich/downward-file.js';
import { KubernetesMetadata } from '../../src/enrich/kubernetes.js';
import { kubernetesEnrichSchema } from '../../src/enrich/schema.js';
import { EventEncoder } from '../../src/pipeline/event-encoder.js';
import type { ChainRecord } from '../../parsers/chain.js';

/** A logger whose lines the test reads. */
function capture() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'logship-enrich-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Downward API file format', () => {
  it('reads the kubelet format: sorted key="value" lines, no newline after the last', () => {
    const { values, problems } = parseDownwardFile('app="shop"\napp.kubernetes.io/name="checkout"\npod-template-hash="7c9d5b"');
    expect(problems).toEqual([]);
    expect([...values]).toEqual([
      ['app', 'shop'],
      ['app.kubernetes.io/name', 'checkout'],
      ['pod-template-hash', '7c9d5b'],
    ]);
  });

  it("undoes Go's %q escaping", () => {
    expect(unquoteGo(String.raw`"say \"hi\" \\ a\tb\nc"`)).toBe('say "hi" \\ a\tb\nc');
    expect(unquoteGo(String.raw`"\x41\u00e9\U0001F600 é"`)).toBe('Aé😀 é');
    // Bytes escaped one by one (\xc3\xa9, or octal) form one UTF-8 character.
    expect(unquoteGo(String.raw`"\xc3\xa9\303\251"`)).toBe('éé');
    expect(unquoteGo('""')).toBe('');
    // A JSON annotation as the kubelet writes it.
    expect(unquoteGo(String.raw`"{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n"`)).toBe('{"apiVersion":"v1","kind":"Pod"}\n');
  });

  it('rejects what is not one Go-quoted string', () => {
    for (const bad of ['shop', '"shop', 'shop"', '"a"b"', String.raw`"a\q"`, String.raw`"\x4"`, String.raw`"\uD800"`, String.raw`"trailing\"`, String.raw`"\400"`]) {
      expect(unquoteGo(bad), bad).toBeUndefined();
    }
  });

  it('keeps the good lines of a malformed file and names the bad ones', () => {
    const { values, problems } = parseDownwardFile('a="1"\nno equals sign\n="no key"\nb=unquoted\nc="3"\n');
    expect([...values]).toEqual([
      ['a', '1'],
      ['c', '3'],
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^line 2: expected key="value"/);
    expect(problems[1]).toMatch(/^line 3:/);
    expect(problems[2]).toMatch(/^line 4:.*b=unquoted/);
  });
});

describe('KubernetesMetadata', () => {
  const fields = (m: KubernetesMetadata) => Object.fromEntries(m.entries.map(([p, v]) => [p.join('.'), v]));

  it('puts the env vars on ECS and Filebeat fields, with configurable names, and warns about the unset ones by name', async () => {
    const { logger, warnings } = capture();
    const config = kubernetesEnrichSchema.parse({ env: { pod_name: 'MY_POD' } });
    const m = new KubernetesMetadata(config, logger, { MY_POD: 'shop-7c9d5b-x2x4q', POD_NAMESPACE: 'prod', POD_UID: 'u-1', POD_IP: '10.1.2.3', NODE_NAME: 'node-a', CONTAINER_NAME: '' });
    await m.start();
    m.stop();
    expect(fields(m)).toEqual({
      'orchestrator.type': 'kubernetes',
      'orchestrator.resource.name': 'shop-7c9d5b-x2x4q',
      'orchestrator.resource.type': 'pod',
      'kubernetes.pod.name': 'shop-7c9d5b-x2x4q',
      'orchestrator.namespace': 'prod',
      'kubernetes.namespace': 'prod',
      'kubernetes.pod.uid': 'u-1',
      'kubernetes.pod.ip': '10.1.2.3',
      'host.name': 'node-a',
      'kubernetes.node.name': 'node-a',
    });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('CONTAINER_NAME (enrich.kubernetes.env.container_name: container.name, kubernetes.container.name)');
  });

  it('labels and annotations from files, dots in keys replaced by _; a missing file is a warning naming it', async () => {
    const labels = path.join(tmp, 'labels');
    writeFileSync(labels, 'app="shop"\napp.kubernetes.io/name="checkout"');
    const missing = path.join(tmp, 'no-such-annotations');
    const { logger, warnings } = capture();
    const m = new KubernetesMetadata(kubernetesEnrichSchema.parse({ labels_file: labels, annotations_file: missing }), logger, {});
    await m.start();
    m.stop();
    expect(fields(m)).toMatchObject({ 'kubernetes.labels.app': 'shop', 'kubernetes.labels.app_kubernetes_io/name': 'checkout' });
    expect(m.entries.find(([p]) => p[1] === 'labels' && p[2] === 'app_kubernetes_io/name')?.[0]).toEqual(['kubernetes', 'labels', 'app_kubernetes_io/name']);
    expect(warnings().some((w) => w.includes(`enrich.kubernetes.annotations_file: cannot read ${missing} (ENOENT)`))).toBe(true);
  });
});

describe('EventEncoder with an enrichment', () => {
  const rec = (): ChainRecord => ({ event: { message: 'm', kubernetes: { labels: { parsed: 'x' } } }, offset: 0, time: 0, source: {} }) as unknown as ChainRecord;
  const encode = (enc: EventEncoder) => JSON.parse(Buffer.from(enc.encodeBatch([rec()], { key: 'k', path: '/p' } as never).data).toString().trim()) as Record<string, any>;

  it("sets the enrichment's fields, follows a change of its version, and lets the input's fields win", () => {
    const source = { version: 1, entries: [[['kubernetes', 'labels', 'app'], 'v1'], [['host', 'name'], 'node-a'], [['service', 'name'], 'from-pod']] as [string[], unknown][] };
    const enc = new EventEncoder({ 'service.name': 'from-config' }, 'os-host', () => rec(), source);
    let e = encode(enc);
    expect(e.kubernetes.labels).toEqual({ parsed: 'x', app: 'v1' });
    expect(e.host.name).toBe('node-a');
    expect(e.service.name).toBe('from-config');
    source.entries = [[['kubernetes', 'labels', 'app'], 'v2']];
    // The same version: the composed fields are kept (nothing recomposed per batch).
    expect(encode(enc).kubernetes.labels.app).toBe('v1');
    source.version = 2;
    e = encode(enc);
    expect(e.kubernetes.labels.app).toBe('v2');
    expect(e.host.name).toBe('os-host');
  });
});
