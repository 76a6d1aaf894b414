/**
 * `sample: { rate: N }`: keeps an event when a hash of its id falls in 1/N.
 * The id is the one the encoder gives the event (src/event/event-id.ts: the
 * file generation's key and the event's offset), so a re-read after a crash
 * keeps exactly the same events.
 */
export function sampledIn(id: string, rate: number): boolean {
  if (rate === 1) return true;
  // FNV-1a, 32 bits: cheap, and spreads ids that differ only in their last hex digits.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % rate === 0;
}
