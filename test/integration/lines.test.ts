// Issue 2, end to end through `logship run`: what becomes of awkward bytes.
// Invalid UTF-8, a 3 MiB line, CRLF, a binary file, byte offsets, a partial
// last line at SIGTERM, and a clean exit.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { field, OutputReader, waitFor, type ShippedEvent } from '../support/output.js';

const MiB = 1024 * 1024;

interface Line {
  offset: number;
  bytes: Buffer; // without the newline
  terminated: boolean;
}

/** Splits file content into lines with their byte offsets, as the tailer must. */
function splitLines(content: Buffer): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf(0x0a, start);
    if (nl < 0) {
      out.push({ offset: start, bytes: content.subarray(start), terminated: false });
      break;
    }
    out.push({ offset: start, bytes: content.subarray(start, nl), terminated: true });
    start = nl + 1;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
/** The message a line should become: UTF-8 decoded (invalid bytes → U+FFFD), one trailing \r stripped. */
function expectedMessage(bytes: Buffer): string {
  const b = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
  return decoder.decode(b);
}

function seededBytes(n: number, seed: number): Buffer {
  const buf = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

describe('lines end to end', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('invalid UTF-8, a 3 MiB line, CRLF, a binary file, true byte offsets, a partial last line at SIGTERM, exit 0', async () => {
    const root = await h.tmp('lines');
    const logs = path.join(root, 'logs');
    const files = new Map<string, Buffer>();
    const put = (name: string, content: Buffer) => {
      files.set(name, content);
      writeFileSync(path.join(logs, name), content);
    };

    put(
      'invalid.log',
      Buffer.concat([
        Buffer.from('valid-before\n'),
        Buffer.from([...Buffer.from('bad-'), 0xff, 0x2d, 0xfe, 0xfe, 0x2d, 0xc3, 0x28, ...Buffer.from('-end\n')]),
        Buffer.from([...Buffer.from('cut-sequence-'), 0xe2, 0x82, 0x0a]),
        Buffer.from('multibyte-héllo-wörld-✓-🚀\n'),
        Buffer.from('valid-after\n'),
      ]),
    );

    const pattern = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz-');
    const long = Buffer.alloc(3 * MiB);
    for (let i = 0; i < long.length; i += pattern.length) pattern.copy(long, i);
    put('long.log', Buffer.concat([Buffer.from('short-before\n'), long, Buffer.from('\nshort-after-1\nshort-after-2\n')]));

    put('crlf.log', Buffer.from('crlf-1\r\ncrlf-2\r\ninner\rcarriage\r\nlf-only\n'));

    const random = seededBytes(256 * 1024, 0x5eed);
    random[100] = 0; // NULs for sure, not only by chance
    random[101] = 0;
    put('binary.log', Buffer.concat([random, Buffer.from('\nafter-binary-1\nafter-binary-2\n')]));

    put('partial.log', Buffer.from('complete-1\ncomplete-2\npartial-no-newline'));

    const cfg = await writeConfig(
      root,
      baseConfig(root, [
        {
          name: 'lines',
          paths: [path.join(logs, '*.log')],
          max_line_bytes: '1MiB',
          // Long enough that only the shutdown can emit the partial line.
          partial_line_timeout: '10m',
        },
      ]),
    );
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));

    // Every line that must arrive while running: all terminated, non-empty lines.
    const required = new Map<string, Line[]>();
    for (const [name, content] of files) {
      required.set(name, splitLines(content).filter((l) => l.terminated && expectedMessage(l.bytes) !== ''));
    }
    const byFile = (events: readonly ShippedEvent[]) => {
      const m = new Map<string, Map<number, ShippedEvent[]>>();
      for (const e of events) {
        const name = path.basename(e.path ?? '?');
        if (!m.has(name)) m.set(name, new Map());
        const offs = m.get(name)!;
        const key = e.offset ?? -1;
        if (!offs.has(key)) offs.set(key, []);
        offs.get(key)!.push(e);
      }
      return m;
    };
    const missingNow = () => {
      const m = byFile(reader.events);
      const missing: string[] = [];
      for (const [name, lines] of required) {
        for (const l of lines) if (!m.get(name)?.has(l.offset)) missing.push(`${name}@${l.offset}`);
      }
      return missing;
    };
    await waitFor(
      reader,
      () => missingNow().length === 0,
      () => {
        const missing = missingNow();
        return `${missing.length} lines missing (by file and offset): ${missing.slice(0, 15).join(', ')}`;
      },
      { proc, what: 'every complete line of the five files' },
    );

    // Held back while running: no newline yet, and the idle timeout is long.
    expect(reader.events.filter((e) => e.message.startsWith('partial-')), 'a partial line must wait for its newline').toEqual([]);

    const exit = await proc.stop();
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    reader.poll();
    const events = reader.events;
    const grouped = byFile(events);

    // Every event: its offset is a true line start of its file, its message the decoded line.
    const problems: string[] = [];
    for (const e of events) {
      const name = path.basename(e.path ?? '?');
      const content = files.get(name);
      if (!content) {
        problems.push(`event from unknown file ${e.path}`);
        continue;
      }
      const line = splitLines(content).find((l) => l.offset === e.offset);
      if (!line) {
        problems.push(`${name}: log.offset ${e.offset} is not the start of a line (message ${JSON.stringify(e.message.slice(0, 40))})`);
        continue;
      }
      if (line.bytes.length > MiB) continue; // the truncated line, checked below
      if (e.message !== expectedMessage(line.bytes)) {
        problems.push(`${name}@${e.offset}: message ${JSON.stringify(e.message.slice(0, 60))} != ${JSON.stringify(expectedMessage(line.bytes).slice(0, 60))}`);
      }
      if (typeof e.id !== 'string' || e.id === '') problems.push(`${name}@${e.offset}: no event.id`);
      if (typeof field(e.raw, 'host.name') !== 'string') problems.push(`${name}@${e.offset}: no host.name`);
      if (!Number.isFinite(Date.parse(String(field(e.raw, '@timestamp'))))) problems.push(`${name}@${e.offset}: bad @timestamp`);
    }
    expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);

    // Each line once.
    const twice = [...grouped].flatMap(([name, offs]) => [...offs].filter(([, es]) => es.length > 1).map(([o, es]) => `${name}@${o} x${es.length}`));
    expect(twice, 'lines delivered more than once').toEqual([]);
    expect(new Set(events.map((e) => e.id)).size, 'event.id values must be unique').toBe(events.length);

    const eventsOf = (name: string) => [...(grouped.get(name)?.values() ?? [])].flat().sort((a, b) => a.offset! - b.offset!);

    // Invalid UTF-8: replacement characters, neighbours intact.
    const invalid = eventsOf('invalid.log').map((e) => e.message);
    expect(invalid).toEqual(['valid-before', 'bad-\uFFFD-\uFFFD\uFFFD-\uFFFD(-end', 'cut-sequence-\uFFFD', 'multibyte-héllo-wörld-✓-🚀', 'valid-after']);

    // The 3 MiB line: one event, truncated to at most 1 MiB, tagged; the lines after it intact.
    const longEvents = eventsOf('long.log');
    expect(longEvents.map((e) => e.offset)).toEqual([0, 13, 13 + 3 * MiB + 1, 13 + 3 * MiB + 1 + 14]);
    const big = longEvents[1]!;
    const bigBytes = Buffer.byteLength(big.message);
    console.log(`[lines] 3 MiB line -> message of ${bigBytes} bytes, tags ${JSON.stringify(big.tags)}`);
    expect(big.tags).toContain('truncated');
    expect(bigBytes).toBeGreaterThan(0);
    expect(bigBytes).toBeLessThanOrEqual(MiB);
    expect(long.subarray(0, bigBytes).toString('latin1') === big.message, 'the truncated message is the start of the line').toBe(true);
    expect(longEvents.map((e) => e.message).filter((m) => m.startsWith('short-'))).toEqual(['short-before', 'short-after-1', 'short-after-2']);
    for (const e of longEvents) if (e !== big) expect(e.tags).not.toContain('truncated');

    // CRLF: the trailing \r goes, an inner \r stays.
    const crlf = eventsOf('crlf.log').map((e) => e.message);
    expect(crlf).toEqual(['crlf-1', 'crlf-2', 'inner\rcarriage', 'lf-only']);

    // Binary: no crash (we got here with exit 0), and the text after it arrives.
    const bin = eventsOf('binary.log').map((e) => e.message);
    expect(bin.slice(-2)).toEqual(['after-binary-1', 'after-binary-2']);

    // The partial last line: emitted at shutdown, tagged, at its true offset.
    const partial = eventsOf('partial.log');
    expect(partial.map((e) => [e.offset, e.message])).toEqual([
      [0, 'complete-1'],
      [11, 'complete-2'],
      [22, 'partial-no-newline'],
    ]);
    expect(partial[2]!.tags).toContain('partial_line');
    expect(partial[0]!.tags).not.toContain('partial_line');
  });
});
