import { crc32 } from 'node:zlib';
import type { RecordBatch } from '../output/record-batch.js';

/**
 * The on-disk record format of the buffer's segment files:
 *
 *   segment = MAGIC record*
 *   record  = u32 LE length of payload | u32 LE crc32(payload) | payload
 *   payload = f64 LE record id | f64 LE event time (epoch ms)
 *             | u8 length of event id | event id (ASCII) | UTF-8 event JSON
 *
 * The record id is inside the checked payload, so a reader never derives ids
 * by counting (a skipped, damaged record cannot shift the ids after it). The
 * event id (`event.id`, also inside the JSON) travels beside it so an output
 * that keys documents by it (Elasticsearch `_id`) never parses the JSON. The
 * event's source position travels inside its JSON (`log.file.path`, `log.offset`).
 */
export const MAGIC = Buffer.from('LSBUF\x00\x02\n', 'latin1');
/** The header's first bytes, the same in every format version: a different last byte is another version. */
export const MAGIC_FAMILY = MAGIC.subarray(0, 6);
export const HEADER_BYTES = 8;
const PAYLOAD_FIXED = 17;
/** Event ids are hashes plus an offset; the length byte bounds them. */
export const MAX_EVENT_ID_BYTES = 255;
/** A length above this is damage, not a record (an event is capped far below by max_line_bytes). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export interface DecodedRecord {
  readonly id: number;
  readonly time: number;
  readonly eventId: string;
  /**
   * The event's JSON is `buf[jsonStart, jsonEnd)`. `buf` is the reader's, reused
   * by its next read: copy the bytes before reading on.
   */
  readonly buf: Buffer;
  readonly jsonStart: number;
  readonly jsonEnd: number;
  /** Offset just past the record in its segment. */
  readonly end: number;
}

/**
 * Frames records with consecutive ids starting at `firstId` into one buffer
 * for one write: each event's JSON bytes are copied as the encoder made them
 * (its newline left out: the frame's length delimits it). `alloc` gives the
 * buffer (a pool's, reused by the next write).
 */
export function encodeRecords(firstId: number, batch: RecordBatch, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let total = 0;
  for (let i = 0; i < batch.count; i++) {
    const id = batch.ids[i]!;
    if (id.length > MAX_EVENT_ID_BYTES || Buffer.byteLength(id) !== id.length) throw new Error(`event id ${JSON.stringify(id.slice(0, 64))} is not ASCII of at most ${MAX_EVENT_ID_BYTES} bytes`);
    total += HEADER_BYTES + PAYLOAD_FIXED + id.length;
  }
  total += batch.data.length - batch.count;
  const out = alloc(total);
  let at = 0;
  let from = 0;
  for (let i = 0; i < batch.count; i++) {
    const id = batch.ids[i]!;
    const to = batch.ends[i]! - 1;
    const payloadStart = at + HEADER_BYTES;
    const jsonStart = payloadStart + PAYLOAD_FIXED + id.length;
    out.writeUInt32LE(PAYLOAD_FIXED + id.length + to - from, at);
    out.writeDoubleLE(firstId + i, payloadStart);
    out.writeDoubleLE(batch.times[i]!, payloadStart + 8);
    out[payloadStart + 16] = id.length;
    out.write(id, payloadStart + PAYLOAD_FIXED, 'latin1');
    const end = jsonStart + batch.data.copy(out, jsonStart, from, to);
    out.writeUInt32LE(crc32(out.subarray(payloadStart, end)), at + 4);
    at = end;
    from = to + 1;
  }
  return out;
}

/**
 * Where the piece of encoded records starting at `start` ends: whole records,
 * at most `maxBytes` unless a single record is larger. Returns the end offset
 * and how many records the piece holds.
 */
export function pieceOf(encoded: Buffer, start: number, maxBytes: number): { end: number; records: number } {
  let end = start;
  let records = 0;
  while (end < encoded.length) {
    const next = end + HEADER_BYTES + encoded.readUInt32LE(end);
    if (records > 0 && next - start > maxBytes) break;
    end = next;
    records++;
  }
  return { end, records };
}

export type DecodeResult =
  | { kind: 'record'; record: DecodedRecord }
  /** Not enough bytes in the buffer for the whole record: read more (or, at the file's end, a torn tail). */
  | { kind: 'incomplete'; need: number }
  | { kind: 'corrupt'; reason: string };

/**
 * Decodes the record at `buf[at]`, whose first byte sits at file offset `fileOffset`.
 * `available` is how many bytes of `buf` from `at` are valid.
 */
export function decodeRecord(buf: Buffer, at: number, available: number, fileOffset: number): DecodeResult {
  if (available < HEADER_BYTES) return { kind: 'incomplete', need: HEADER_BYTES };
  const len = buf.readUInt32LE(at);
  if (len < PAYLOAD_FIXED || len > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `impossible record length ${len}` };
  if (available < HEADER_BYTES + len) return { kind: 'incomplete', need: HEADER_BYTES + len };
  const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
  if (crc32(payload) !== buf.readUInt32LE(at + 4)) return { kind: 'corrupt', reason: 'CRC mismatch' };
  const id = payload.readDoubleLE(0);
  if (!Number.isSafeInteger(id) || id < 0) return { kind: 'corrupt', reason: `impossible record id ${id}` };
  const jsonStart = PAYLOAD_FIXED + payload[16]!;
  if (jsonStart > len) return { kind: 'corrupt', reason: `event id length ${payload[16]} past the record's end` };
  return {
    kind: 'record',
    record: {
      id,
      time: payload.readDoubleLE(8),
      eventId: payload.toString('latin1', PAYLOAD_FIXED, jsonStart),
      buf,
      jsonStart: at + HEADER_BYTES + jsonStart,
      jsonEnd: at + HEADER_BYTES + len,
      end: fileOffset + HEADER_BYTES + len,
    },
  };
}

/** `seg-<first id, 16 hex digits>.log`: names sort in id order. */
export function segmentName(firstId: number): string {
  return `seg-${firstId.toString(16).padStart(16, '0')}.log`;
}

export function segmentFirstId(name: string): number | undefined {
  const m = /^seg-([0-9a-f]{16})\.log$/.exec(name);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}
