import { describe, expect, it } from 'vitest';
import { EVENT_ID_LENGTH, EVENT_KEY_HEX, EVENT_OFFSET_HEX, eventId, eventKey } from '../../src/event/event-id.js';
import { generationKey } from '../../src/tail/identity.js';

// Values produced by logship before the format moved into one module. Ids must never change:
// a replay after an upgrade has to hit the documents already in Elasticsearch as duplicates.
const KEY = '1a8995ce18047e34';
const IDENTITY = { dev: 2049, ino: 1234567, fp: { len: 42, crc: 0xdeadbeef, final: true } };

describe('event ids', () => {
  it('are the same as every earlier version made them', () => {
    expect(generationKey(IDENTITY, 3)).toBe(KEY);
    expect(eventKey('2049:1234567:42:3735928559:3')).toBe(KEY);
    expect(eventId(KEY, 0)).toBe('1a8995ce18047e34000000000000');
    expect(eventId(KEY, 0x1f2e3d)).toBe('1a8995ce18047e340000001f2e3d');
    expect(eventId(KEY, 2 ** 48 - 1)).toBe('1a8995ce18047e34ffffffffffff');
  });

  it('are EVENT_ID_LENGTH long: a 16-hex key and a 12-hex offset', () => {
    expect([EVENT_KEY_HEX, EVENT_OFFSET_HEX, EVENT_ID_LENGTH]).toEqual([16, 12, 28]);
    expect(eventKey('anything')).toMatch(/^[0-9a-f]{16}$/);
    for (const offset of [0, 1, 4096, 2 ** 32, 2 ** 48 - 1]) expect(eventId(KEY, offset)).toHaveLength(EVENT_ID_LENGTH);
  });

  it('grow rather than wrap past a 48-bit offset (two offsets never share an id)', () => {
    expect(eventId(KEY, 2 ** 48)).toBe('1a8995ce18047e341000000000000');
  });
});
