// What a kill -9 can make logship deliver again, measured from the state it
// left on disk (the process is dead, so the state is frozen). Shared by the
// crash tests: summed over the kills it bounds the duplicates of a run,
// whatever the machine's speed (no assumption about checkpoint or ack lag).
import { readAck, readSegments, checkpointOffset, type SegmentFile } from './buffer-files.js';
import { parseNumbered, type ShippedEvent } from './output.js';

export interface UnackedWindow {
  checkpointLine: number;
  ackedId: number;
  /** Records past ack.json's acked_id. */
  unacked: number;
  /** Un-acked buffer records whose line was already delivered (the restart delivers them again). */
  bufferRedelivery: number;
  /** Records of a line that the un-acked part of the buffer holds more than once. */
  bufferRepeats: number;
  /** Lines past the checkpoint (read again on restart) that were delivered or are in the un-acked buffer. */
  reread: number;
  /** The buffer's segments as decoded, for callers that classify the kill. */
  segments: SegmentFile[];
}

/**
 * The window at a kill of a run that tails `log` (numbered lines of
 * `lineBytes`, no rotation) into the buffer `buf` under `state`; `delivered`
 * is what the output held right after the kill, `upTo` the lines written.
 */
export function unackedWindow(opts: {
  delivered: readonly ShippedEvent[];
  buf: string;
  state: string;
  log: string;
  lineBytes: number;
  upTo: number;
}): UnackedWindow {
  const { upTo } = opts;
  const delivered = new Uint8Array(upTo + 2);
  for (const e of opts.delivered) {
    const num = parseNumbered(e.message);
    if (num && num.n >= 1 && num.n <= upTo) delivered[num.n] = 1;
  }
  const ackedId = readAck(opts.buf)?.acked_id ?? -1;
  const segments = readSegments(opts.buf);
  const inBuffer = new Uint8Array(upTo + 2);
  let unacked = 0;
  let bufferRedelivery = 0;
  let bufferRepeats = 0;
  for (const seg of segments) {
    for (const r of seg.records) {
      if (r.id <= ackedId) continue;
      unacked++;
      const n = parseNumbered((JSON.parse(r.json) as { message: string }).message)?.n ?? 0;
      if (n < 1 || n > upTo) continue;
      if (delivered[n]) bufferRedelivery++;
      if (inBuffer[n]) bufferRepeats++;
      inBuffer[n] = 1;
    }
  }
  const checkpointLine = Math.floor(checkpointOffset(opts.state, opts.log) / opts.lineBytes);
  let reread = 0;
  for (let n = checkpointLine + 1; n <= upTo; n++) if (delivered[n] || inBuffer[n]) reread++;
  return { checkpointLine, ackedId, unacked, bufferRedelivery, bufferRepeats, reread, segments };
}
