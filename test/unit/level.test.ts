import { describe, expect, it } from 'vitest';
import { type Level, LEVELS, normalizeLevel } from '../../parsers/level.js';

function expectAll(level: Level, inputs: unknown[]): void {
  for (const v of inputs) expect(normalizeLevel(v), `${typeof v} ${String(v)}`).toBe(level);
}

describe('normalizeLevel: words', () => {
  it('maps the six level names in any case', () => {
    for (const level of LEVELS) {
      expectAll(level, [level, level.toUpperCase(), level[0]!.toUpperCase() + level.slice(1)]);
    }
    expect(normalizeLevel('wArNiNg')).toBe('warn');
    expect(normalizeLevel('eRRoR')).toBe('error');
  });

  it('maps common spellings', () => {
    expectAll('trace', ['TRACE', 'trc', 'FINEST', 'FINER', 'verbose', 'VRB']);
    expectAll('debug', ['DEBUG', 'DBG', 'dbg', 'FINE', 'CONFIG', 'DEBU']);
    expectAll('info', ['INFO', 'INFORMATION', 'Informational', 'NOTICE', 'notice', 'INF']);
    expectAll('warn', ['WARN', 'WARNING', 'Warning', 'WRN']);
    expectAll('error', ['Err', 'ERR', 'err', 'ERROR', 'SEVERE', 'ERRO', 'DPANIC']);
    expectAll('fatal', ['CRIT', 'CRITICAL', 'Critical', 'ALERT', 'EMERG', 'EMERGENCY', 'FATAL', 'PANIC', 'FTL', 'FATA']);
  });

  it('maps single letters (klog I W E F, and T D, V)', () => {
    expectAll('trace', ['T', 't', 'V']);
    expectAll('debug', ['D', 'd']);
    expectAll('info', ['I', 'i']);
    expectAll('warn', ['W', 'w']);
    expectAll('error', ['E', 'e']);
    expectAll('fatal', ['F', 'f']);
  });

  it('ignores surrounding whitespace (log4j pads to five columns)', () => {
    expect(normalizeLevel('INFO ')).toBe('info');
    expect(normalizeLevel(' warn\t')).toBe('warn');
    expect(normalizeLevel('  Err  ')).toBe('error');
  });
});

describe('normalizeLevel: numbers', () => {
  it('maps syslog severities 0-7', () => {
    const expected: Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
    expected.forEach((level, severity) => {
      expect(normalizeLevel(severity), `severity ${severity}`).toBe(level);
      expect(normalizeLevel(String(severity)), `"${severity}"`).toBe(level);
    });
  });

  it('maps pino/bunyan numbers, rounding down between bands', () => {
    const expected: Array<[number, Level]> = [
      [10, 'trace'],
      [19, 'trace'],
      [20, 'debug'],
      [25, 'debug'],
      [30, 'info'],
      [35, 'info'],
      [40, 'warn'],
      [49, 'warn'],
      [50, 'error'],
      [59.9, 'error'],
      [60, 'fatal'],
      [70, 'fatal'],
      [99, 'fatal'],
    ];
    for (const [n, level] of expected) {
      expect(normalizeLevel(n), String(n)).toBe(level);
      if (Number.isInteger(n)) expect(normalizeLevel(String(n)), `"${n}"`).toBe(level);
    }
    expect(normalizeLevel(' 30 ')).toBe('info');
  });

  it('leaves other numbers alone', () => {
    for (const n of [-1, 8, 9, 2.5, 100, 1000, NaN, Infinity, -Infinity]) {
      expect(normalizeLevel(n), String(n)).toBeUndefined();
    }
    for (const s of ['8', '9', '100', '-1', '3.0', '1e1', '0x1e', '0030']) {
      expect(normalizeLevel(s), s).toBeUndefined();
    }
  });
});

describe('normalizeLevel: garbage', () => {
  it('returns undefined for anything else and never throws', () => {
    const values: unknown[] = [
      undefined,
      null,
      true,
      false,
      {},
      [],
      ['info'],
      { level: 'info' },
      10n,
      Symbol('info'),
      '',
      '   ',
      'x',
      'informative',
      'warnings',
      'INFO!',
      '[INFO]',
      'in fo',
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
      'information'.repeat(100_000),
      '\u0000',
    ];
    for (const v of values) {
      expect(() => normalizeLevel(v)).not.toThrow();
      expect(normalizeLevel(v), typeof v === 'symbol' ? 'symbol' : String(v).slice(0, 40)).toBeUndefined();
    }
  });
});
