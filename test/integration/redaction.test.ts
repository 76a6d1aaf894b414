// Issue 14, "Processors, before the buffer": a real `logship run` with a
// redact processor (hash mode) and a file output. After the run every byte
// logship wrote — buffer segments, acknowledgement and checkpoint files, the
// output objects — is searched for the secret values, in every form they were
// written in: none may be there. A restart with the same key file gives the
// same hashes. A dropped event's secrets are not written either.
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImFkbWluIjp0cnVlfQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
/** Every value that must never reach the disk, as written in the log. */
const SECRETS = {
  email: 'alice.secret@example.com',
  ipv4: '203.0.113.77',
  ipv6: '2001:db8::beef',
  card: '4111-1111-1111-1111',
  cardDigits: '4111111111111111',
  jwt: JWT,
  jwtPayload: 'eyJzdWIiOiJhbGljZSIsImFkbWluIjp0cnVlfQ',
  bearer: 's3cr3tT0kenValue123',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  ssn: '123-45-6789',
  session: 'sess_abcDEF123456',
  droppedOnly: 'dropped-only@example.net',
};

/** Every file under `dir`, recursively, with its bytes. */
function allFiles(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...allFiles(file));
    else out.push({ file, bytes: readFileSync(file) });
  }
  return out;
}

/** `file: secret` for every secret found in any file under the dirs. */
function leaks(dirs: string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const { file, bytes } of allFiles(dir)) {
      for (const [name, value] of Object.entries(SECRETS)) if (bytes.includes(value)) found.push(`${path.relative(path.dirname(dir), file)}: ${name}`);
    }
  }
  return found;
}

function lines(run: number): string {
  return [
    JSON.stringify({ level: 'info', msg: `run${run} login ${SECRETS.email} from ${SECRETS.ipv4}`, user: { email: SECRETS.email, card: SECRETS.card }, headers: { authorization: `Bearer ${SECRETS.bearer}` } }),
    `run${run} plain line: paid with ${SECRETS.cardDigits}, ssn ${SECRETS.ssn}, client ${SECRETS.ipv6}`,
    `run${run} Authorization: Bearer ${JWT} key=${SECRETS.aws} session=${SECRETS.session}`,
    `run${run} GET /healthz kube-probe/1.29 from ${SECRETS.droppedOnly}`,
    `run${run} done`,
    '',
  ].join('\n');
}

describe('redaction before the buffer', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('no unredacted value in the buffer segments, checkpoints or output; hash stable across a restart', async () => {
    const root = await h.tmp('redact');
    const log = path.join(root, 'logs', 'app.log');
    const keyFile = path.join(root, 'hmac.key');
    writeFileSync(keyFile, 'a-key-of-at-least-sixteen-bytes\n');
    writeFileSync(log, lines(1));
    const config = baseConfig(root, [
      {
        name: 'app',
        paths: [log],
        parser: ['json', 'plain'],
        keep_original: true,
        processors: [
          { drop: { when: { matches: { message: 'kube-probe' } } } },
          {
            redact: {
              mode: 'hash',
              key_file: keyFile,
              patterns: ['jwt', 'bearer_token', 'aws_access_key', 'email', 'credit_card', 'us_ssn', 'ipv6', 'ipv4', { name: 'session', regex: 'sess_[A-Za-z0-9]{12}' }],
            },
          },
        ],
      },
    ]);
    const cfg = await writeConfig(root, config);
    const reader = new OutputReader(path.join(root, 'out'));
    const messages = () => reader.events.map((e) => e.message);
    const arrived = (run: number) => () => messages().some((m) => m.startsWith(`run${run} done`));

    let proc = h.start(cfg);
    await waitFor(reader, arrived(1), () => `messages: ${JSON.stringify(messages())}`, { proc, what: 'run 1', timeoutMs: 120_000, stallMs: 60_000 });
    expect((await proc.stop()).code).toBe(0);

    appendFileSync(log, lines(2));
    proc = h.start(cfg);
    await waitFor(reader, arrived(2), () => `messages: ${JSON.stringify(messages())}`, { proc, what: 'run 2', timeoutMs: 120_000, stallMs: 60_000 });
    expect((await proc.stop()).code).toBe(0);

    // What arrived: 4 events a run (at least once: counted by message), the probe dropped, every secret replaced by its keyed hash.
    reader.poll();
    expect(new Set(messages()).size).toBe(8);
    expect(messages().some((m) => m.includes('kube-probe'))).toBe(false);
    const hashOf = (kind: string, run: number) => {
      const texts = reader.events.filter((e) => e.message.startsWith(`run${run}`)).map((e) => JSON.stringify(e.raw));
      return new Set(texts.flatMap((t) => [...t.matchAll(new RegExp(`\\[HMAC:${kind}:([0-9a-f]{32})\\]`, 'g'))].map((m) => m[1])));
    };
    for (const kind of ['email', 'ipv4', 'ipv6', 'credit_card', 'us_ssn', 'jwt', 'bearer_token', 'aws_access_key', 'session']) {
      const first = hashOf(kind, 1);
      expect(first.size, `${kind} in run 1`).toBeGreaterThan(0);
      // The same key file: the same value hashes the same after the restart.
      expect([...hashOf(kind, 2)], kind).toEqual([...first]);
    }
    const login = reader.events.find((e) => e.message.startsWith('run1 login'))!.raw;
    expect(JSON.stringify(login)).toMatch(/"email":"\[HMAC:email:[0-9a-f]{32}\]"/);
    expect(JSON.stringify(login)).toMatch(/"authorization":"Bearer \[HMAC:bearer_token:[0-9a-f]{32}\]"/);

    // The search itself finds what is there: the hashes are in the buffer's bytes as well as the output's.
    const state = path.join(root, 'state');
    const stateFiles = allFiles(state);
    expect(stateFiles.some(({ bytes }) => bytes.includes('[HMAC:email:')), `no event bytes under ${state}: ${stateFiles.map((f) => f.file).join(', ')}`).toBe(true);
    expect(stateFiles.some(({ file }) => file.endsWith('checkpoints.json'))).toBe(true);
    expect(leaks([state, path.join(root, 'out')])).toEqual([]);
    // And the source still has them all: the test would see a leak.
    expect(Object.values(SECRETS).filter((s) => !readFileSync(log, 'utf8').includes(s))).toEqual([]);
  }, 300_000);
});
