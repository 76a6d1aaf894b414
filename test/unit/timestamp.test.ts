import { describe, expect, it } from 'vitest';
import {
  compileTimeFormat,
  formatTimestamp,
  isValidTimezone,
  parseTime,
  zonedToUtc,
} from '../../parsers/timestamp.js';

/** parseTime rendered as ISO (or 'undefined'), so failures read well. */
function iso(value: unknown, opts: Parameters<typeof parseTime>[1] = {}): string {
  const t = parseTime(value, opts);
  return t === undefined ? 'undefined' : formatTimestamp(t);
}

const NOW_2026 = () => Date.UTC(2026, 5, 15, 12, 0, 0); // 2026-06-15T12:00:00Z

describe('formatTimestamp', () => {
  it('renders ISO 8601 UTC with exactly three fraction digits', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05.000Z');
    expect(formatTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe('2026-01-02T03:04:05.007Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatTimestamp(1700000000123.9)).toBe('2023-11-14T22:13:20.123Z');
  });

  it('agrees with Date#toISOString across days, years and the range ends', () => {
    const samples = [
      -1,
      -62135596800000, // 0001-01-01
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      8.64e15,
      -8.64e15,
    ];
    for (let t = Date.UTC(2023, 11, 30); t < Date.UTC(2024, 0, 3); t += 3_599_999) samples.push(t);
    for (const t of samples) expect(formatTimestamp(t), String(t)).toBe(new Date(t).toISOString());
  });

  it('throws a RangeError outside the Date range', () => {
    expect(() => formatTimestamp(NaN)).toThrow(RangeError);
    expect(() => formatTimestamp(8.64e15 + 1)).toThrow(RangeError);
  });
});

describe('parseTime: epoch numbers by magnitude', () => {
  it('reads numbers as seconds, ms, µs, ns', () => {
    expect(parseTime(1700000000)).toBe(1700000000000);
    expect(parseTime(1700000000123)).toBe(1700000000123);
    expect(parseTime(1700000000123456)).toBe(1700000000123);
    expect(parseTime(1.7000000001234568e18)).toBe(1700000000123);
    expect(parseTime(0)).toBe(0);
    expect(parseTime(42)).toBe(42000);
  });

  it('reads fractional seconds without floating-point loss', () => {
    expect(parseTime(1700000000.123)).toBe(1700000000123);
    expect(parseTime(1700000000.5)).toBe(1700000000500);
    expect(parseTime(1700000000.0009)).toBe(1700000000000);
    expect(parseTime(1700000000123.9)).toBe(1700000000123);
  });

  it('reads digit strings by magnitude, truncating to ms', () => {
    expect(parseTime('1700000000')).toBe(1700000000000);
    expect(parseTime('1700000000.123')).toBe(1700000000123);
    expect(parseTime('1700000000.123999999')).toBe(1700000000123);
    expect(parseTime('1700000000.1')).toBe(1700000000100);
    expect(parseTime('1700000000123')).toBe(1700000000123);
    expect(parseTime('1700000000123456')).toBe(1700000000123);
    expect(parseTime('1700000000123456789')).toBe(1700000000123);
    expect(parseTime('  1700000000\n')).toBe(1700000000000);
    expect(parseTime('9999999999')).toBe(9999999999000); // largest seconds value
    expect(parseTime('10000000000')).toBe(10000000000); // 11 digits: ms
    expect(parseTime('0001700000000')).toBe(1700000000000); // leading zeros do not count
  });

  it('accepts bigint and Date', () => {
    expect(parseTime(1700000000123456789n)).toBe(1700000000123);
    expect(parseTime(new Date(Date.UTC(2024, 0, 1)))).toBe(Date.UTC(2024, 0, 1));
  });

  it('rejects negative, non-finite and oversized numbers', () => {
    expect(parseTime(-1)).toBeUndefined();
    expect(parseTime(NaN)).toBeUndefined();
    expect(parseTime(Infinity)).toBeUndefined();
    expect(parseTime(1e19)).toBeUndefined();
    expect(parseTime('12345678901234567890')).toBeUndefined(); // 20 digits
    expect(parseTime('1700000000.')).toBeUndefined();
    expect(parseTime('17000.000.00')).toBeUndefined();
    expect(parseTime('-1700000000')).toBeUndefined();
    expect(parseTime(new Date(NaN))).toBeUndefined();
  });
});

describe('parseTime: ISO 8601 / RFC 3339', () => {
  it('reads T and space separators with Z', () => {
    expect(iso('2024-01-02T03:04:05Z')).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-01-02 03:04:05Z')).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-01-02t03:04:05z')).toBe('2024-01-02T03:04:05.000Z');
  });

  it('keeps ms of a fraction of any length, truncating the rest', () => {
    expect(iso('2024-01-02T03:04:05.1Z')).toBe('2024-01-02T03:04:05.100Z');
    expect(iso('2024-01-02T03:04:05.12Z')).toBe('2024-01-02T03:04:05.120Z');
    expect(iso('2024-01-02T03:04:05.123Z')).toBe('2024-01-02T03:04:05.123Z');
    expect(iso('2024-01-02T03:04:05.123999Z')).toBe('2024-01-02T03:04:05.123Z');
    expect(iso('2024-01-02T03:04:05.999999999Z')).toBe('2024-01-02T03:04:05.999Z');
    expect(iso('2024-01-02T03:04:05.123456789012345678Z')).toBe('2024-01-02T03:04:05.123Z');
    expect(iso('2024-01-02 03:04:05,042')).toBe('2024-01-02T03:04:05.042Z'); // log4j / Python
  });

  it('applies ±hh:mm, ±hhmm, ±hh offsets', () => {
    expect(iso('2024-01-02T03:04:05+02:00')).toBe('2024-01-02T01:04:05.000Z');
    expect(iso('2024-01-02T03:04:05+0200')).toBe('2024-01-02T01:04:05.000Z');
    expect(iso('2024-01-02T03:04:05+02')).toBe('2024-01-02T01:04:05.000Z');
    expect(iso('2024-01-02T03:04:05.5-05:30')).toBe('2024-01-02T08:34:05.500Z');
    expect(iso('2024-01-01T00:30:00+01:00')).toBe('2023-12-31T23:30:00.000Z');
    expect(iso('2024-01-02T03:04:05-00:00')).toBe('2024-01-02T03:04:05.000Z');
  });

  it('ignores the zone when the text has an offset', () => {
    expect(iso('2024-07-01T12:00:00Z', { timezone: 'Europe/Berlin' })).toBe('2024-07-01T12:00:00.000Z');
    expect(iso('2024-07-01T12:00:00+00:00', { timezone: 'America/New_York' })).toBe('2024-07-01T12:00:00.000Z');
  });

  it('reads common variants: space before the offset, UTC suffix, Go and Java forms, slashes, no seconds, date only', () => {
    expect(iso('2024-01-02 03:04:05 +0100')).toBe('2024-01-02T02:04:05.000Z'); // Ruby
    expect(iso('2024-01-02 03:04:05 UTC')).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-01-02 03:04:05.123456789 +0000 UTC')).toBe('2024-01-02T03:04:05.123Z'); // Go
    expect(iso('2024-01-02T03:04:05+01:00[Europe/Paris]')).toBe('2024-01-02T02:04:05.000Z'); // Java
    expect(iso('2024/01/02 03:04:05')).toBe('2024-01-02T03:04:05.000Z'); // nginx error log
    expect(iso('2024-01-02T03:04')).toBe('2024-01-02T03:04:00.000Z');
    expect(iso('2024-01-02')).toBe('2024-01-02T00:00:00.000Z');
    expect(iso('[2024-01-02 03:04:05]')).toBe('2024-01-02T03:04:05.000Z');
  });

  it('rejects invalid dates, times and trailing text', () => {
    for (const bad of [
      '2024-13-01T00:00:00Z',
      '2024-00-01T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-01-02T24:00:00Z',
      '2024-01-02T23:60:00Z',
      '2024-01-02T23:59:61Z',
      '2024-01-02T03:04:05+24:00',
      '2024-01-02T03:04:05+02:60',
      '2024-01-02T03:04:05.Z',
      '2024-01-02T03:04:05Zjunk',
      '2024-01-02T03:04:05 CEST',
      '2024-01-02X03:04:05Z',
      '2024-01/02T03:04:05Z',
      '2024-1-2T03:04:05Z',
      '2024-01-02T3:04:05Z',
    ]) {
      expect(parseTime(bad), bad).toBeUndefined();
    }
    expect(iso('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z'); // a leap day is fine
    expect(iso('2016-12-31T23:59:60Z')).toBe('2017-01-01T00:00:00.000Z'); // a leap second rolls over
  });
});

describe('parseTime: local times in a zone', () => {
  it('defaults to UTC and takes fixed offsets', () => {
    expect(iso('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-01-02 03:04:05', { timezone: 'UTC' })).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-01-02 03:04:05', { timezone: '+02:00' })).toBe('2024-01-02T01:04:05.000Z');
    expect(iso('2024-01-02 03:04:05', { timezone: '-0530' })).toBe('2024-01-02T08:34:05.000Z');
    expect(iso('2024-01-02 03:04:05', { timezone: '+09' })).toBe('2024-01-01T18:04:05.000Z');
  });

  it('uses the IANA zone offset of the date (winter / summer)', () => {
    expect(iso('2024-01-15 12:00:00', { timezone: 'Europe/Berlin' })).toBe('2024-01-15T11:00:00.000Z');
    expect(iso('2024-07-15 12:00:00', { timezone: 'Europe/Berlin' })).toBe('2024-07-15T10:00:00.000Z');
    expect(iso('2024-01-15 12:00:00', { timezone: 'America/New_York' })).toBe('2024-01-15T17:00:00.000Z');
    expect(iso('2024-07-15 12:00:00', { timezone: 'America/New_York' })).toBe('2024-07-15T16:00:00.000Z');
    expect(iso('2024-07-15 12:00:00', { timezone: 'Asia/Kolkata' })).toBe('2024-07-15T06:30:00.000Z');
  });

  it('Europe/Berlin spring forward (2024-03-31 02:00 → 03:00): around and inside the gap', () => {
    const tz = { timezone: 'Europe/Berlin' };
    expect(iso('2024-03-31 01:59:59', tz)).toBe('2024-03-31T00:59:59.000Z');
    expect(iso('2024-03-31 03:00:00', tz)).toBe('2024-03-31T01:00:00.000Z');
    // 02:30 does not exist: moved forward by the gap (= 03:30 CEST).
    expect(iso('2024-03-31 02:30:00', tz)).toBe('2024-03-31T01:30:00.000Z');
  });

  it('Europe/Berlin fall back (2024-10-27 03:00 → 02:00): the repeated hour takes the first instant', () => {
    const tz = { timezone: 'Europe/Berlin' };
    expect(iso('2024-10-27 01:59:59', tz)).toBe('2024-10-26T23:59:59.000Z');
    expect(iso('2024-10-27 02:30:00', tz)).toBe('2024-10-27T00:30:00.000Z'); // CEST, not 01:30Z
    expect(iso('2024-10-27 03:00:00', tz)).toBe('2024-10-27T02:00:00.000Z');
  });

  it('America/New_York spring forward (2024-03-10 02:00 → 03:00) and fall back (2024-11-03 02:00 → 01:00)', () => {
    const tz = { timezone: 'America/New_York' };
    expect(iso('2024-03-10 01:59:59', tz)).toBe('2024-03-10T06:59:59.000Z');
    expect(iso('2024-03-10 02:30:00', tz)).toBe('2024-03-10T07:30:00.000Z'); // gap → 03:30 EDT
    expect(iso('2024-03-10 03:00:00', tz)).toBe('2024-03-10T07:00:00.000Z');
    expect(iso('2024-11-03 00:59:59', tz)).toBe('2024-11-03T04:59:59.000Z');
    expect(iso('2024-11-03 01:30:00', tz)).toBe('2024-11-03T05:30:00.000Z'); // first 01:30 (EDT)
    expect(iso('2024-11-03 02:00:00', tz)).toBe('2024-11-03T07:00:00.000Z');
  });

  it('an unknown zone gives undefined, not a guess and not a throw', () => {
    expect(parseTime('2024-01-02 03:04:05', { timezone: 'Mars/Olympus' })).toBeUndefined();
    expect(parseTime('2024-01-02 03:04:05Z', { timezone: 'Mars/Olympus' })).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
  });
});

describe('zonedToUtc', () => {
  const f = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0) => ({
    year,
    month,
    day,
    hour,
    minute,
    second,
    ms,
  });

  it('resolves wall-clock times in UTC, fixed offsets and IANA zones', () => {
    expect(zonedToUtc(f(2024, 1, 2, 3, 4, 5, 6), undefined)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(zonedToUtc(f(2024, 1, 2, 3, 4, 5, 6), 'UTC')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(zonedToUtc(f(2024, 1, 2, 3), '+02:00')).toBe(Date.UTC(2024, 0, 2, 1));
    expect(zonedToUtc(f(2024, 7, 1, 12), 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 10));
    expect(zonedToUtc(f(2024, 12, 31, 23, 30), 'America/New_York')).toBe(Date.UTC(2025, 0, 1, 4, 30));
  });

  it('handles DST edges in both directions', () => {
    expect(zonedToUtc(f(2024, 3, 31, 2, 30), 'Europe/Berlin')).toBe(Date.UTC(2024, 2, 31, 1, 30));
    expect(zonedToUtc(f(2024, 10, 27, 2, 30), 'Europe/Berlin')).toBe(Date.UTC(2024, 9, 27, 0, 30));
    expect(zonedToUtc(f(2024, 11, 3, 1, 30), 'America/New_York')).toBe(Date.UTC(2024, 10, 3, 5, 30));
  });

  it('handles a transition in the middle of a UTC hour (Lord Howe: 02:00 → 02:30 at 15:30Z)', () => {
    expect(zonedToUtc(f(2024, 10, 6, 1, 59), 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 9, 5, 15, 29));
    expect(zonedToUtc(f(2024, 10, 6, 2, 40), 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 9, 5, 15, 40));
    expect(zonedToUtc(f(2024, 10, 6, 2, 15), 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 9, 5, 15, 45)); // in the gap
    expect(iso('2024-10-06 02:59:00', { timezone: 'Australia/Lord_Howe' })).toBe('2024-10-05T15:59:00.000Z');
  });

  it('rolls over out-of-range fields and keeps years below 100', () => {
    expect(zonedToUtc(f(2024, 13, 1), 'UTC')).toBe(Date.UTC(2025, 0, 1));
    expect(zonedToUtc(f(2024, 1, 32), 'UTC')).toBe(Date.UTC(2024, 1, 1));
    expect(zonedToUtc(f(2024, 0, 1), 'UTC')).toBe(Date.UTC(2023, 11, 1));
    expect(zonedToUtc(f(50, 1, 1), 'UTC')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('throws for an unknown zone', () => {
    expect(() => zonedToUtc(f(2024, 1, 1), 'Nowhere/Special')).toThrow(/unknown time zone/);
  });

  it('agrees with Intl for every hour of a year in several zones', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago']) {
      const dtf = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3 * 3_600_000 + 17 * 60_000) {
        const p = Object.fromEntries(dtf.formatToParts(t).map((x) => [x.type, Number(x.value)]));
        const back = zonedToUtc(
          { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second!, ms: 0 },
          tz,
        );
        // Within a repeated hour the earlier instant is chosen: the round trip
        // lands on t, or on t minus the DST shift.
        if (back !== t) expect([t - 3_600_000, t - 1_800_000], `${tz} ${new Date(t).toISOString()}`).toContain(back);
      }
    }
  });
});

describe('isValidTimezone', () => {
  it('accepts UTC, fixed offsets and IANA names', () => {
    for (const tz of ['UTC', 'utc', 'GMT', 'Z', 'Etc/UTC', '+02:00', '-0530', '+09', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      expect(isValidTimezone(tz), tz).toBe(true);
    }
  });

  it('rejects the rest', () => {
    for (const tz of ['', 'Mars/Olympus', 'Europe/Berlinn', '+25:00', '+2', '02:00', 'UTC+2x', '+02:60']) {
      expect(isValidTimezone(tz), tz).toBe(false);
    }
  });
});

describe('parseTime: RFC 3164 and ctime', () => {
  it('reads the time with a two-digit and a space-padded day, in the year of now', () => {
    const opts = { now: NOW_2026 };
    expect(iso('Oct 11 22:14:15', opts)).toBe('2025-10-11T22:14:15.000Z'); // Oct 2026 is in the future
    expect(iso('Jun 15 11:00:00', opts)).toBe('2026-06-15T11:00:00.000Z');
    expect(iso('Jan  1 00:00:00', opts)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso('Jan 1 00:00:00', opts)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso('Jan 01 00:00:00', opts)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso('jan  1 00:00:00', opts)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso('Jun 15 11:00:00.123456', opts)).toBe('2026-06-15T11:00:00.123Z');
  });

  it('allows up to one day in the future before falling back a year', () => {
    const opts = { now: NOW_2026 }; // 2026-06-15T12:00Z
    expect(iso('Jun 16 11:59:59', opts)).toBe('2026-06-16T11:59:59.000Z');
    expect(iso('Jun 16 12:00:00', opts)).toBe('2026-06-16T12:00:00.000Z');
    expect(iso('Jun 16 12:00:01', opts)).toBe('2025-06-16T12:00:01.000Z');
  });

  it('puts Dec 31 logs read on Jan 1 in the previous year, and Jan 1 logs read on Dec 31 in the next', () => {
    const jan1 = { now: () => Date.UTC(2026, 0, 1, 0, 5) };
    expect(iso('Dec 31 23:59:58', jan1)).toBe('2025-12-31T23:59:58.000Z');
    expect(iso('Jan  1 00:04:00', jan1)).toBe('2026-01-01T00:04:00.000Z');
    const dec31 = { now: () => Date.UTC(2025, 11, 31, 23, 59) };
    expect(iso('Jan  1 00:00:30', dec31)).toBe('2026-01-01T00:00:30.000Z'); // a fast clock
    expect(iso('Dec 31 23:58:00', dec31)).toBe('2025-12-31T23:58:00.000Z');
  });

  it('infers the year in the zone and calls now() as a method of the options', () => {
    const ctx = {
      timezone: 'America/New_York',
      timeFormat: undefined,
      clock: Date.UTC(2026, 0, 1, 3, 0), // 2025-12-31 22:00 in New York
      now(): number {
        return this.clock;
      },
    };
    expect(iso('Dec 31 21:00:00', ctx)).toBe('2026-01-01T02:00:00.000Z');
  });

  it('finds the last Feb 29 for a leap day without a year', () => {
    expect(iso('Feb 29 12:00:00', { now: NOW_2026 })).toBe('2024-02-29T12:00:00.000Z');
  });

  it('reads a year before or after the time, and a leading weekday (ctime, Apache error log)', () => {
    expect(iso('Oct 11 2023 22:14:15')).toBe('2023-10-11T22:14:15.000Z');
    expect(iso('Wed Oct 11 22:14:15 2023')).toBe('2023-10-11T22:14:15.000Z');
    expect(iso('Wed Oct 11 14:32:52.123456 2000')).toBe('2000-10-11T14:32:52.123Z');
    expect(iso('[Fri Sep 09 10:42:29.902022 2011]', { timezone: '+02:00' })).toBe('2011-09-09T08:42:29.902Z');
    expect(iso('Oct 11 22:14:15', { timezone: 'Europe/Berlin', now: NOW_2026 })).toBe('2025-10-11T20:14:15.000Z');
  });

  it('rejects malformed syslog times', () => {
    for (const bad of ['Oct 32 22:14:15', 'Oct 11 24:14:15', 'Foo 11 22:14:15', 'Oct 11 22:14', 'Oct11 22:14:15', 'Oct 11 22:14:15 x', 'Feb 30 00:00:00', 'Wed Oct 11', 'Octo 11 22:14:15']) {
      expect(parseTime(bad, { now: NOW_2026 }), bad).toBeUndefined();
    }
  });
});

describe('parseTime: Apache / nginx access-log time', () => {
  it('reads the time with and without brackets', () => {
    expect(iso('10/Oct/2000:13:55:36 -0700')).toBe('2000-10-10T20:55:36.000Z');
    expect(iso('[10/Oct/2000:13:55:36 -0700]')).toBe('2000-10-10T20:55:36.000Z');
    expect(iso('[10/Oct/2000:13:55:36 +0000]')).toBe('2000-10-10T13:55:36.000Z');
    expect(iso('01/Jan/2024:00:00:00 +0100')).toBe('2023-12-31T23:00:00.000Z');
    expect(iso('10/Oct/2000:13:55:36 +05:30')).toBe('2000-10-10T08:25:36.000Z');
    expect(iso('10/Oct/2000:13:55:36.250 +0000')).toBe('2000-10-10T13:55:36.250Z');
  });

  it('without an offset uses the zone', () => {
    expect(iso('10/Jul/2024:13:55:36', { timezone: 'Europe/Berlin' })).toBe('2024-07-10T11:55:36.000Z');
  });

  it('rejects malformed ones', () => {
    expect(iso('10/Oct/2000:13:55:36 -07')).toBe('2000-10-10T20:55:36.000Z'); // ±hh alone, as in ISO
    for (const bad of ['10/Oct/2000 13:55:36 -0700', '10/Foo/2000:13:55:36 -0700', '31/Apr/2000:13:55:36 -0700', '10/Oct/2000:13:55:36 -0700 x', '[10/Oct/2000:13:55:36 -0700', '10/Oct/2000:13:55:36  -0700']) {
      expect(parseTime(bad), bad).toBeUndefined();
    }
  });
});

describe('parseTime: time_format', () => {
  it('is used for formats the built-ins do not know', () => {
    expect(iso('02.01.2024 03:04:05', { timeFormat: '%d.%m.%Y %H:%M:%S' })).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('02.01.2024 03:04:05', { timeFormat: '%d.%m.%Y %H:%M:%S', timezone: 'Europe/Berlin' })).toBe(
      '2024-01-02T02:04:05.000Z',
    );
  });

  it('wins over the built-ins when it matches (an explicit format is the user’s intent)', () => {
    expect(iso('20240102030405', { timeFormat: '%Y%m%d%H%M%S' })).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('2024-05-03 10:00:00', { timeFormat: '%Y-%d-%m %H:%M:%S' })).toBe('2024-03-05T10:00:00.000Z');
  });

  it('falls back to the built-ins when it does not match', () => {
    expect(iso('2024-01-02T03:04:05Z', { timeFormat: '%d.%m.%Y' })).toBe('2024-01-02T03:04:05.000Z');
    expect(iso('1700000000', { timeFormat: '%d.%m.%Y' })).toBe('2023-11-14T22:13:20.000Z');
  });

  it('an invalid format is ignored (config validation reports it), never thrown', () => {
    expect(iso('2024-01-02T03:04:05Z', { timeFormat: '%Q' })).toBe('2024-01-02T03:04:05.000Z');
    expect(parseTime('whatever', { timeFormat: '%Q' })).toBeUndefined();
  });
});

describe('compileTimeFormat', () => {
  it('reads every numeric specifier', () => {
    const m = compileTimeFormat('%Y-%m-%d %H:%M:%S.%f %z');
    expect(m('2024-01-02 03:04:05.123456 +0100', undefined)).toBe(Date.UTC(2024, 0, 2, 2, 4, 5, 123));
    expect(m('2024-01-02 03:04:05.1 -01:30', undefined)).toBe(Date.UTC(2024, 0, 2, 4, 34, 5, 100));
    expect(m('2024-01-02 03:04:05.1 Z', 'Europe/Berlin')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 100));
    expect(m('2024-01-02 03:04:05.1 +05', undefined)).toBe(Date.UTC(2024, 0, 1, 22, 4, 5, 100));
    expect(m('2024-1-2 3:4:5.0 +0000', undefined)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5)); // 1-digit fields
  });

  it('uses the zone when there is no %z', () => {
    const m = compileTimeFormat('%Y-%m-%d %H:%M:%S');
    expect(m('2024-07-01 12:00:00', 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 10));
    expect(m('2024-07-01 12:00:00', undefined)).toBe(Date.UTC(2024, 6, 1, 12));
    expect(m('2024-07-01 12:00:00', 'Bogus/Zone')).toBeUndefined();
  });

  it('reads month and day names, %e, %y, %j', () => {
    expect(compileTimeFormat('%a, %d %b %Y %H:%M:%S')('Tue, 10 Oct 2000 13:55:36', undefined)).toBe(
      Date.UTC(2000, 9, 10, 13, 55, 36),
    );
    expect(compileTimeFormat('%A %B %e %Y')('Thursday February  1 2024', undefined)).toBe(Date.UTC(2024, 1, 1));
    expect(compileTimeFormat('%A %B %e %Y')('thursday FEBRUARY 12 2024', undefined)).toBe(Date.UTC(2024, 1, 12));
    expect(compileTimeFormat('%d%b%Y')('10Sept2000', undefined)).toBe(Date.UTC(2000, 8, 10));
    expect(compileTimeFormat('%y%m%d')('240102', undefined)).toBe(Date.UTC(2024, 0, 2));
    expect(compileTimeFormat('%y%m%d')('690102', undefined)).toBe(Date.UTC(1969, 0, 2));
    expect(compileTimeFormat('%y%m%d')('680102', undefined)).toBe(Date.UTC(2068, 0, 2));
    expect(compileTimeFormat('%Y.%j')('2024.060', undefined)).toBe(Date.UTC(2024, 1, 29));
    expect(compileTimeFormat('%Y.%j')('2024.366', undefined)).toBe(Date.UTC(2024, 11, 31));
    expect(compileTimeFormat('%Y.%j')('2023.366', undefined)).toBeUndefined();
    expect(compileTimeFormat('%a %b')('Fooday Oct', undefined)).toBeUndefined();
  });

  it('reads 12-hour times with %I %p', () => {
    const m = compileTimeFormat('%m/%d/%Y %I:%M:%S %p');
    expect(m('01/02/2024 12:00:00 AM', undefined)).toBe(Date.UTC(2024, 0, 2, 0));
    expect(m('01/02/2024 12:30:00 PM', undefined)).toBe(Date.UTC(2024, 0, 2, 12, 30));
    expect(m('01/02/2024 1:30:00 pm', undefined)).toBe(Date.UTC(2024, 0, 2, 13, 30));
    expect(m('01/02/2024 11:59:59 am', undefined)).toBe(Date.UTC(2024, 0, 2, 11, 59, 59));
    expect(m('01/02/2024 13:00:00 PM', undefined)).toBeUndefined();
    expect(m('01/02/2024 0:00:00 AM', undefined)).toBeUndefined();
    expect(m('01/02/2024 1:00:00 XM', undefined)).toBeUndefined();
  });

  it('reads %s epoch seconds (with %f), ignoring the zone', () => {
    expect(compileTimeFormat('%s')('1700000000', 'Europe/Berlin')).toBe(1700000000000);
    expect(compileTimeFormat('%s.%f')('1700000000.25', undefined)).toBe(1700000000250);
    expect(compileTimeFormat('@%s')('@1700000000', undefined)).toBe(1700000000000);
  });

  it('%Z: UTC/GMT/Z mean UTC, other names are ignored (the zone applies)', () => {
    const m = compileTimeFormat('%Y-%m-%d %H:%M:%S %Z');
    expect(m('2024-07-01 12:00:00 UTC', 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 12));
    expect(m('2024-07-01 12:00:00 GMT', 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 12));
    expect(m('2024-07-01 12:00:00 CEST', 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 10));
    expect(m('2024-07-01 12:00:00 Europe/Berlin', 'Europe/Berlin')).toBe(Date.UTC(2024, 6, 1, 10));
  });

  it('%F %T %% and literal text (ASCII case-insensitive); whitespace matches one or more', () => {
    expect(compileTimeFormat('%FT%T')('2024-01-02t03:04:05', undefined)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(compileTimeFormat('at %T on %F 100%%')('AT 03:04:05 on 2024-01-02 100%', undefined)).toBe(
      Date.UTC(2024, 0, 2, 3, 4, 5),
    );
    const m = compileTimeFormat('%b %d %Y %H:%M:%S');
    expect(m('Oct  1 2024 22:14:15', undefined)).toBe(Date.UTC(2024, 9, 1, 22, 14, 15));
    expect(m('Oct 1 2024\t22:14:15', undefined)).toBe(Date.UTC(2024, 9, 1, 22, 14, 15));
    expect(m('Oct 1 202422:14:15', undefined)).toBeUndefined();
  });

  it('infers the year when the format has none, and the date when it has no date', () => {
    const clock = () => Date.UTC(2026, 0, 1, 0, 5);
    const noYear = compileTimeFormat('%m-%d %H:%M:%S');
    expect(noYear('12-31 23:59:00', undefined, clock)).toBe(Date.UTC(2025, 11, 31, 23, 59));
    expect(noYear('01-01 00:01:00', undefined, clock)).toBe(Date.UTC(2026, 0, 1, 0, 1));
    const timeOnly = compileTimeFormat('%H:%M:%S.%f');
    expect(timeOnly('00:04:00.000', undefined, clock)).toBe(Date.UTC(2026, 0, 1, 0, 4));
    expect(timeOnly('23:59:59.500', undefined, clock)).toBe(Date.UTC(2025, 11, 31, 23, 59, 59, 500));
    expect(timeOnly('00:04:00.000', '+01:00', clock)).toBe(Date.UTC(2025, 11, 31, 23, 4));
    expect(parseTime('12-31 23:59:00', { timeFormat: '%m-%d %H:%M:%S', now: clock })).toBe(Date.UTC(2025, 11, 31, 23, 59));
  });

  it('requires the whole text to match and validates ranges', () => {
    const m = compileTimeFormat('%Y-%m-%d');
    expect(m('2024-01-02', undefined)).toBe(Date.UTC(2024, 0, 2));
    for (const bad of ['2024-01-02 ', ' 2024-01-02', '2024-01-0', '2024-13-02', '2024-02-30', '2024-01-32', '24-01-02', '']) {
      expect(m(bad, undefined), JSON.stringify(bad)).toBeUndefined();
    }
    expect(compileTimeFormat('%H:%M:%S')('24:00:00', undefined)).toBeUndefined();
    expect(compileTimeFormat('%H:%M:%S')('23:60:00', undefined)).toBeUndefined();
    expect(compileTimeFormat('%z')('+2400', undefined)).toBeUndefined();
  });

  it('throws clear errors at compile time', () => {
    expect(() => compileTimeFormat('%Y-%q-%d')).toThrow(/unknown specifier %q at position 3/);
    expect(() => compileTimeFormat('%Y-%q-%d')).toThrow(/supported: .*%Y.*%%/);
    expect(() => compileTimeFormat('%Y-%m-%')).toThrow(/lone "%" at the end/);
    expect(() => compileTimeFormat('')).toThrow(/empty/);
    expect(() => compileTimeFormat('just text')).toThrow(/no date or time specifier/);
    expect(() => compileTimeFormat('100%%')).toThrow(/no date or time specifier/);
    expect(() => compileTimeFormat('%I:%M')).toThrow(/%I .* needs %p/);
    expect(() => compileTimeFormat('%H:%M %p')).toThrow(/%p .* needs %I/);
    expect(() => compileTimeFormat('%Y %constructor')).toThrow(/unknown specifier %c/);
  });
});

describe('parseTime: garbage and hostile input', () => {
  it('returns undefined and never throws', () => {
    const values: unknown[] = [
      undefined,
      null,
      true,
      {},
      [],
      [1700000000],
      () => 1,
      Symbol('x'),
      '',
      '   ',
      '[]',
      '[',
      'hello world',
      'NaN',
      'Infinity',
      '0x1700000000',
      '1e9',
      '2024',
      '2024-',
      '2024-01',
      '2024-01-02T',
      '2024-01-02T03',
      '2024-01-02T03:',
      '10/Oct',
      '10/Oct/2000',
      'Oct',
      'Oct 11',
      '\u0000\u0001\u0002',
      '\uFFFD\uFFFD',
      '２０２４-01-02', // full-width digits
      'Ｏct 11 22:14:15',
    ];
    for (const v of values) {
      expect(() => parseTime(v, { timezone: 'Europe/Berlin', now: NOW_2026 })).not.toThrow();
    }
    for (const v of values) {
      if (v === '2024') continue; // a digit string: epoch seconds by the rules
      expect(parseTime(v, { now: NOW_2026 }), String(typeof v === 'symbol' ? 'symbol' : v)).toBeUndefined();
    }
    expect(parseTime('2024')).toBe(2024000);
  });

  it('does not throw when now() throws or returns garbage', () => {
    expect(
      parseTime('Oct 11 22:14:15', {
        now: () => {
          throw new Error('clock');
        },
      }),
    ).toBeUndefined();
    expect(parseTime('Oct 11 22:14:15', { now: () => NaN })).toBeUndefined();
  });

  it('a 1 MB string returns (linear scanners, no regex backtracking)', () => {
    const digits = '1'.repeat(1 << 20);
    const iso1 = `2024-01-02T03:04:05.${'9'.repeat(1 << 20)}Z`;
    const iso2 = `2024-01-02T03:04:05.${'9'.repeat(1 << 20)}!`;
    const spaces = `${' '.repeat(1 << 19)}x${' '.repeat(1 << 19)}`;
    const syslog = `Oct 11 22:14:15.${'1'.repeat(1 << 20)}`;
    const fmt = { timeFormat: '%Y-%m-%d %H:%M:%S.%f' };
    expect(parseTime(digits)).toBeUndefined();
    expect(parseTime(iso1)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 999));
    expect(parseTime(iso2)).toBeUndefined();
    expect(parseTime(spaces)).toBeUndefined();
    expect(iso(syslog, { now: NOW_2026 })).toBe('2025-10-11T22:14:15.111Z');
    expect(parseTime(`2024-01-02 03:04:05.${'5'.repeat(1 << 20)}x`, fmt)).toBeUndefined();
    expect(parseTime('a'.repeat(1 << 20), fmt)).toBeUndefined();
    const ws = compileTimeFormat('%Y %m');
    expect(ws(`2024${' '.repeat(1 << 20)}x`, undefined)).toBeUndefined();
    expect(ws(`2024${' '.repeat(1 << 20)}1`, undefined)).toBe(Date.UTC(2024, 0, 1));
  });
});
