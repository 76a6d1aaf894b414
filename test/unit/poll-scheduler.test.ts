// Issue 9, item 12: idle paths back off, a change or a hint resets them.
import { describe, expect, it } from 'vitest';
import { PollScheduler } from '../../src/tail/poll-scheduler.js';

describe('PollScheduler', () => {
  it('an unknown key is due at once', () => {
    expect(new PollScheduler<string>(250, 2500).isDue('a', 0)).toBe(true);
  });

  it('doubles the interval of an unchanged key up to the cap, and a change resets it', () => {
    const s = new PollScheduler<string>(250, 2500);
    let now = 0;
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      s.polled('a', now, false);
      seen.push(s.intervalOf('a')!);
      expect(s.isDue('a', now + seen.at(-1)! - 1)).toBe(false);
      now += seen.at(-1)!;
      expect(s.isDue('a', now)).toBe(true);
    }
    expect(seen).toEqual([500, 1000, 2000, 2500, 2500, 2500]);
    s.polled('a', now, true);
    expect(s.intervalOf('a')).toBe(250);
  });

  it('a hint makes a backed-off key due now and resets its interval; unknown keys ignore hints', () => {
    const s = new PollScheduler<string>(100, 1000);
    for (let i = 0; i < 5; i++) s.polled('a', 0, false);
    expect(s.isDue('a', 1)).toBe(false);
    s.hint('a');
    expect(s.isDue('a', 1)).toBe(true);
    expect(s.intervalOf('a')).toBe(100);
    s.hint('b');
    expect(s.intervalOf('b')).toBeUndefined();
    s.delete('a');
    expect(s.intervalOf('a')).toBeUndefined();
  });
});
