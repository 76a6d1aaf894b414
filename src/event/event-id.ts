import { createHash } from 'node:crypto';

/**
 * An event id is `<key><offset>`: the key names the file generation the event
 * was read from, the offset is the byte position of its first line, both in
 * lowercase hex. A re-read (a restart, a replay after an upgrade) gets the same
 * id, so Elasticsearch rejects the copy as a duplicate: the format must never
 * change.
 */

/** Hex digits of the key: the first 64 bits of a SHA-256. */
export const EVENT_KEY_HEX = 16;
/** Hex digits the offset is padded to (48 bits: 256 TiB; a larger offset makes a longer id). */
export const EVENT_OFFSET_HEX = 12;
/** The length of every id whose offset fits its 12 digits. */
export const EVENT_ID_LENGTH = EVENT_KEY_HEX + EVENT_OFFSET_HEX;

/** The key of the events of one source, from a text that tells it from every other; one hash per source, none per event. */
export function eventKey(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, EVENT_KEY_HEX);
}

export function eventId(key: string, offset: number): string {
  return key + offset.toString(16).padStart(EVENT_OFFSET_HEX, '0');
}
