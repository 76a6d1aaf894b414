// Issue 15: the opensearch output's pure parts: its config, the server-id
// encoding for Serverless time-series collections, and the test server's SigV4
// check against AWS's published example (so the check is the spec, not the client).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_ID_LENGTH } from '../../src/event/event-id.js';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { createTarget } from '../../outputs/elasticsearch/target.js';
import { opensearchOutputSchema, usesServerIds } from '../../outputs/opensearch/config.js';
import { sigV4Problem } from '../support/sigv4-verify.js';
import type { EventBatch } from '../../src/output/contract.js';
import { parseConfigText } from '../../src/config/load.js';
import { preflight } from '../../src/config/preflight.js';

function batchOf(docs: string[]): EventBatch {
  const lines = docs.map((d) => `${d}\n`);
  const data = Buffer.from(lines.join(''));
  const ends: number[] = [];
  let at = 0;
  for (const l of lines) ends.push((at += Buffer.byteLength(l)));
  return { seq: 1, count: docs.length, data, ends, times: docs.map(() => Date.UTC(2026, 0, 1)), ids: docs.map((_, i) => `id${i}`) } as unknown as EventBatch;
}

describe('opensearch config', () => {
  const base = { type: 'opensearch', hosts: 'https://search-logs.eu-west-1.es.amazonaws.com' };

  it('takes AWS SigV4 (service es by default) or basic auth, not both', () => {
    expect(opensearchOutputSchema.parse({ ...base, aws: { region: 'eu-west-1' } }).aws).toEqual({ region: 'eu-west-1', service: 'es', collection: 'time_series' });
    expect(opensearchOutputSchema.parse({ ...base, auth: { username: 'u', password: 'p' } }).auth).toEqual({ username: 'u', password: 'p' });
    const both = opensearchOutputSchema.safeParse({ ...base, aws: { region: 'eu-west-1' }, auth: { username: 'u', password: 'p' } });
    expect(both.success).toBe(false);
    expect(JSON.stringify(both.error?.issues)).toContain('expected one of auth (basic) or aws (SigV4), not both');
    expect(JSON.stringify(opensearchOutputSchema.safeParse({ ...base, aws: { region: 'Ireland' } }).error?.issues)).toContain('expected an AWS region');
    expect(opensearchOutputSchema.safeParse({ ...base, api_key: 'x' }).success).toBe(false);
  });

  it('server ids only on Serverless time-series collections', () => {
    const cfg = (aws: unknown) => opensearchOutputSchema.parse({ ...base, aws });
    expect(usesServerIds(cfg({ region: 'eu-west-1', service: 'aoss' }))).toBe(true);
    expect(usesServerIds(cfg({ region: 'eu-west-1', service: 'aoss', collection: 'search' }))).toBe(false);
    expect(usesServerIds(cfg({ region: 'eu-west-1', service: 'es' }))).toBe(false);
  });

  it('validate checks that the dead-letter directory can be made, as for elasticsearch', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logship-os-preflight-'));
    try {
      const notADir = path.join(dir, 'a-file');
      writeFileSync(notADir, '');
      const yaml = [
        `buffer: { path: ${JSON.stringify(path.join(dir, 'state'))} }`,
        `inputs: [{ name: app, paths: [${JSON.stringify(path.join(dir, '*.log'))}] }]`,
        `outputs: [{ type: opensearch, hosts: "http://127.0.0.1:9200", index: logs, dead_letter: { path: ${JSON.stringify(path.join(notADir, 'dl', 'os.ndjson'))} } }]`,
      ].join('\n');
      const problems = await preflight(parseConfigText(yaml, 'logship.yaml'));
      expect(problems.join('\n')).toContain('outputs[0].dead_letter.path');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('event ids are far below OpenSearch\'s 512-byte _id limit', () => {
    expect(EVENT_ID_LENGTH).toBeLessThanOrEqual(512);
  });
});

describe('bulk bodies with server ids', () => {
  it('index actions without _id (and never _type); the default stays create with _id = event.id', () => {
    const batch = batchOf(['{"message":"a"}', '{"message":"b"}']);
    const target = createTarget({ index: 'logs', data_stream: undefined });
    expect(new BulkItems(batch, target, true).body([0, 1]).toString()).toBe('{"index":{"_index":"logs"}}\n{"message":"a"}\n{"index":{"_index":"logs"}}\n{"message":"b"}\n');
    expect(new BulkItems(batch, target).body([1]).toString()).toBe('{"create":{"_index":"logs","_id":"id1"}}\n{"message":"b"}\n');
  });
});

describe('the test server\'s SigV4 check', () => {
  // AWS's worked example ("Examples of the complete Signature Version 4 signing process"): IAM ListUsers.
  const key = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 'iam' as unknown as 'es' };
  const request = (signature: string) => ({
    method: 'GET',
    url: '/?Action=ListUsers&Version=2010-05-08',
    headers: {
      host: 'iam.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
    },
    body: Buffer.alloc(0),
  });
  const now = Date.UTC(2015, 7, 30, 12, 36);

  it('accepts the published signature and refuses any other', () => {
    expect(sigV4Problem(request('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7'), key, now)).toBeUndefined();
    expect(sigV4Problem(request('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d8'), key, now)).toContain('signature we calculated does not match');
    expect(sigV4Problem(request('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7'), key, now + 3_600_000)).toContain('Signature expired');
  });
});
