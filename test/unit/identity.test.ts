import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, open, rm, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generationKey, headMatches, readFingerprint, sameInode, type Fingerprint, type Identity } from '../../src/tail/identity.js';

/** CRC-32 (IEEE), written out here so the tests do not just repeat the implementation's call. */
function crc32(data: Buffer | string): number {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

let dir: string;
const handles: FileHandle[] = [];
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-identity-'));
});
afterEach(async () => {
  for (const fh of handles.splice(0)) await fh.close().catch(() => {});
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `content` to a fresh file and opens it for reading. */
async function fileWith(content: Buffer | string): Promise<{ path: string; fh: FileHandle }> {
  const path = join(dir, `f${n++}.log`);
  await writeFile(path, content);
  const fh = await open(path, 'r');
  handles.push(fh);
  return { path, fh };
}

describe('crc32 helper', () => {
  it('is the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });
});

describe('readFingerprint', () => {
  const CAP = 16;

  it('an empty file: empty, provisional', async () => {
    const { fh } = await fileWith('');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 0, crc: 0, final: false });
  });

  it('the first line including its newline, final', async () => {
    const { fh } = await fileWith('hello\nworld\n');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 6, crc: crc32('hello\n'), final: true });
  });

  it('an empty first line is a one-byte final fingerprint', async () => {
    const { fh } = await fileWith('\nsecond\n');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 1, crc: crc32('\n'), final: true });
  });

  it('no newline yet and shorter than the cap: provisional over what is there', async () => {
    const { fh } = await fileWith('abc');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 3, crc: crc32('abc'), final: false });
  });

  it('a first line longer than the cap: the cap, final', async () => {
    const { fh } = await fileWith('123456789\n');
    expect(await readFingerprint(fh, 9, Buffer.alloc(9))).toEqual({ len: 9, crc: 0xcbf43926, final: true });
  });

  it('a newline right at the cap: the cap, final (the newline is not read)', async () => {
    const line = 'x'.repeat(CAP);
    const { fh } = await fileWith(`${line}\nmore\n`);
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: CAP, crc: crc32(line), final: true });
  });

  it('a newline as the last byte under the cap: the whole line, final', async () => {
    const line = `${'y'.repeat(CAP - 1)}\n`;
    const { fh } = await fileWith(`${line}more\n`);
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: CAP, crc: crc32(line), final: true });
  });

  it('exactly cap bytes without a newline: final', async () => {
    const { fh } = await fileWith('z'.repeat(CAP));
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: CAP, crc: crc32('z'.repeat(CAP)), final: true });
  });

  it('ignores stale newlines in the scratch buffer past what was read', async () => {
    const { fh } = await fileWith('abc');
    const scratch = Buffer.alloc(CAP, 0x0a);
    expect(await readFingerprint(fh, CAP, scratch)).toEqual({ len: 3, crc: crc32('abc'), final: false });
  });

  it('is the same on every read once final, however the file grows', async () => {
    const { path, fh } = await fileWith('first line\nsecond');
    const a = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    await appendFile(path, ' line\nthird line\n'.repeat(100));
    const b = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    expect(a).toEqual({ len: 11, crc: crc32('first line\n'), final: true });
    expect(b).toEqual(a);
  });

  it('a provisional fingerprint is extended as the file grows, until final', async () => {
    const { path, fh } = await fileWith('par');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 3, crc: crc32('par'), final: false });
    await appendFile(path, 'tial');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 7, crc: crc32('partial'), final: false });
    await appendFile(path, '\nnext\n');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 8, crc: crc32('partial\n'), final: true });
  });

  it('hashes bytes, not text: a multi-byte first line', async () => {
    const { fh } = await fileWith('€😀\n');
    expect(await readFingerprint(fh, CAP, Buffer.alloc(CAP))).toEqual({ len: 8, crc: crc32(Buffer.from('€😀\n')), final: true });
  });

  it('two files with the same first line fingerprint the same; a different first line does not', async () => {
    const a = await fileWith('2024-01-01 start\nA\n');
    const b = await fileWith('2024-01-01 start\nB\nB\n');
    const c = await fileWith('2024-01-02 start\nA\n');
    const fa = await readFingerprint(a.fh, 64, Buffer.alloc(64));
    expect(await readFingerprint(b.fh, 64, Buffer.alloc(64))).toEqual(fa);
    expect((await readFingerprint(c.fh, 64, Buffer.alloc(64))).crc).not.toBe(fa.crc);
  });
});

describe('headMatches', () => {
  const CAP = 32;
  const scratch = Buffer.alloc(CAP);

  it('an empty known fingerprint matches anything', async () => {
    const { fh } = await fileWith('whatever\n');
    expect(await headMatches(fh, { len: 0, crc: 0, final: false }, scratch)).toBe(true);
    const empty = await fileWith('');
    expect(await headMatches(empty.fh, { len: 0, crc: 0, final: false }, scratch)).toBe(true);
  });

  it('the same file, grown: matches', async () => {
    const { path, fh } = await fileWith('head line\nbody\n');
    const fp = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    await appendFile(path, 'more\n');
    expect(await headMatches(fh, fp, scratch)).toBe(true);
  });

  it('a provisional fingerprint only has to match as a prefix', async () => {
    const { path, fh } = await fileWith('pre');
    const fp = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    expect(fp.final).toBe(false);
    await appendFile(path, 'fix complete\nsecond\n');
    expect(await headMatches(fh, fp, scratch)).toBe(true);
  });

  it('a copy (copytruncate) with the same head matches', async () => {
    const orig = await fileWith('app started\nline 2\nline 3\n');
    const fp = await readFingerprint(orig.fh, CAP, Buffer.alloc(CAP));
    const copy = await fileWith('app started\nline 2\nline 3\nline 4\n');
    expect(await headMatches(copy.fh, fp, scratch)).toBe(true);
  });

  it('truncated to shorter than the fingerprint: no match', async () => {
    const { path, fh } = await fileWith('head line\nbody\n');
    const fp = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    await truncate(path, 0);
    expect(await headMatches(fh, fp, scratch)).toBe(false);
    await writeFile(path, 'head');
    expect(await headMatches(fh, fp, scratch)).toBe(false);
  });

  it('rewritten with a different head of the same length: no match', async () => {
    const { path, fh } = await fileWith('head line\nbody\n');
    const fp = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    await writeFile(path, 'HEAD LINE\nbody\n');
    expect(await headMatches(fh, fp, scratch)).toBe(false);
  });

  it('a provisional fingerprint whose bytes changed: no match', async () => {
    const { path, fh } = await fileWith('abc');
    const fp = await readFingerprint(fh, CAP, Buffer.alloc(CAP));
    await writeFile(path, 'abX and more\n');
    expect(await headMatches(fh, fp, scratch)).toBe(false);
  });

  it('only the crc over known.len bytes counts (a forged fingerprint of the right crc matches)', async () => {
    const { fh } = await fileWith('0123456789\n');
    expect(await headMatches(fh, { len: 5, crc: crc32('01234'), final: false }, scratch)).toBe(true);
    expect(await headMatches(fh, { len: 5, crc: crc32('01235'), final: false }, scratch)).toBe(false);
  });

  // Regression (fixed in e332d23): a checkpointed fingerprint can be longer than the
  // scratch buffer (fingerprint_bytes lowered between two runs: the tailer's scratch is
  // sized by the new value). headMatches used to ask fh.read for more bytes than the
  // buffer holds, which throws ERR_OUT_OF_RANGE; hasHead() turned that into "no match",
  // so the checkpointed file was not recognised and was read again from its start.
  it('a known fingerprint longer than the scratch buffer is still compared, not a throw', async () => {
    const first = `${'h'.repeat(40)}\n`;
    const { fh } = await fileWith(`${first}body\n`);
    const known: Fingerprint = { len: first.length, crc: crc32(first), final: true };
    await expect(headMatches(fh, known, Buffer.alloc(16))).resolves.toBe(true);
    const other: Fingerprint = { len: first.length, crc: crc32(`${'H'.repeat(40)}\n`), final: true };
    await expect(headMatches(fh, other, Buffer.alloc(16))).resolves.toBe(false);
  });
});

describe('generationKey', () => {
  const id: Identity = { dev: 2049, ino: 1234567, fp: { len: 11, crc: crc32('first line\n'), final: true } };

  it('is 16 lowercase hex characters: the sha256 of dev:ino:fp_len:fp_crc:generation, truncated', () => {
    const key = generationKey(id, 0);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    const expected = createHash('sha256').update(`2049:1234567:11:${crc32('first line\n')}:0`).digest('hex').slice(0, 16);
    expect(key).toBe(expected);
  });

  it('is deterministic (same ids across restarts)', () => {
    expect(generationKey({ dev: 2049, ino: 1234567, fp: { ...id.fp } }, 3)).toBe(generationKey(id, 3));
  });

  it('differs with the generation, the inode, the device and the fingerprint', () => {
    const keys = new Set([
      generationKey(id, 0),
      generationKey(id, 1),
      generationKey({ ...id, ino: id.ino + 1 }, 0),
      generationKey({ ...id, dev: id.dev + 1 }, 0),
      generationKey({ ...id, fp: { ...id.fp, crc: id.fp.crc ^ 1 } }, 0),
      generationKey({ ...id, fp: { ...id.fp, len: id.fp.len + 1 } }, 0),
    ]);
    expect(keys.size).toBe(6);
  });

  it('does not depend on whether the fingerprint is final', () => {
    expect(generationKey({ ...id, fp: { ...id.fp, final: false } }, 0)).toBe(generationKey(id, 0));
  });

  it('no ambiguity between fields (dev 1, ino 23 vs dev 12, ino 3)', () => {
    const fp: Fingerprint = { len: 1, crc: 1, final: true };
    expect(generationKey({ dev: 1, ino: 23, fp }, 0)).not.toBe(generationKey({ dev: 12, ino: 3, fp }, 0));
  });
});

describe('sameInode', () => {
  it('compares dev and ino only', () => {
    expect(sameInode({ dev: 1, ino: 2 }, { dev: 1, ino: 2 })).toBe(true);
    expect(sameInode({ dev: 1, ino: 2 }, { dev: 1, ino: 3 })).toBe(false);
    expect(sameInode({ dev: 1, ino: 2 }, { dev: 2, ino: 2 })).toBe(false);
  });
});
