// Issue 14, "Processors, before the buffer": every built-in detector of
// `redact` on values it must find and on near-misses it must leave alone, the
// mask and hash forms, and which fields are scanned.
import { describe, expect, it } from 'vitest';
import { DETECTORS, luhnValid } from '../../src/processors/detectors.js';
import { detectorsFor, Redactor, type RedactSpec } from '../../src/processors/redact.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

function redactor(over: Partial<RedactSpec> = {}): Redactor {
  return new Redactor({ ...detectorsFor(undefined), fields: undefined, mode: 'mask', key: undefined, ...over });
}

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

/** [kind, text, expected] — every finding replaced; near-misses come back unchanged. */
const POSITIVES: [string, string, string][] = [
  ['email', 'mail from alice.smith+tag@example.co.uk accepted', 'mail from [REDACTED:email] accepted'],
  ['email', 'GET /reset?email=bob@example.com&next=/home HTTP/1.1', 'GET /reset?email=[REDACTED:email]&next=/home HTTP/1.1'],
  ['email', 'GET /reset?email=bob%40example.com HTTP/1.1', 'GET /reset?email=[REDACTED:email] HTTP/1.1'],
  ['email', 'to: Carol <carol@mail.example.org>.', 'to: Carol <[REDACTED:email]>.'],
  ['ipv4', 'client 192.168.1.20 connected', 'client [REDACTED:ipv4] connected'],
  ['ipv4', 'from 10.0.0.1.', 'from [REDACTED:ipv4].'],
  ['ipv4', 'peer=172.16.254.1:8443', 'peer=[REDACTED:ipv4]:8443'],
  ['ipv6', 'client 2001:db8::1 connected', 'client [REDACTED:ipv6] connected'],
  ['ipv6', 'addr fe80::1ff:fe23:4567:890a up', 'addr [REDACTED:ipv6] up'],
  ['ipv6', 'full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok', 'full [REDACTED:ipv6] ok'],
  ['ipv6', 'mapped ::ffff:192.0.2.1 ok', 'mapped [REDACTED:ipv6] ok'],
  ['ipv6', 'listen [::1]:80', 'listen [[REDACTED:ipv6]]:80'],
  ['credit_card', 'card 4111 1111 1111 1111 charged', 'card [REDACTED:credit_card] charged'],
  ['credit_card', 'card=4111-1111-1111-1111', 'card=[REDACTED:credit_card]'],
  ['credit_card', 'pan 5500005555555559 ok', 'pan [REDACTED:credit_card] ok'],
  ['credit_card', 'amex 378282246310005', 'amex [REDACTED:credit_card]'],
  ['credit_card', 'amex 3782 822463 10005.', 'amex [REDACTED:credit_card].'],
  ['jwt', `token=${JWT}`, 'token=[REDACTED:jwt]'],
  ['jwt', `Authorization: Bearer ${JWT}`, 'Authorization: Bearer [REDACTED:jwt]'],
  ['bearer_token', 'Authorization: Bearer abc123DEF456ghi789', 'Authorization: Bearer [REDACTED:bearer_token]'],
  ['bearer_token', '{"headers":{"authorization":"bearer 9f8e7d6c5b4a3210"}}', '{"headers":{"authorization":"bearer [REDACTED:bearer_token]"}}'],
  ['aws_access_key', 'key AKIAIOSFODNN7EXAMPLE used', 'key [REDACTED:aws_access_key] used'],
  ['aws_access_key', 'aws_access_key_id=ASIAY34FZKBOKMUTVV7A', 'aws_access_key_id=[REDACTED:aws_access_key]'],
  ['us_ssn', 'ssn 123-45-6789 on file', 'ssn [REDACTED:us_ssn] on file'],
];

const NEAR_MISSES: [string, string][] = [
  ['email', 'see https://social.example/@alice for updates'],
  ['email', 'ssh deploy@localhost failed'],
  ['email', 'installed left-pad@1.3.0'],
  ['ipv4', 'version 1.2.3.4.5 released'],
  ['ipv4', 'bad address 999.1.1.1 and 10.0.0.256'],
  ['ipv4', 'build v1.2.3.4'],
  ['ipv6', 'at 12:34:56 the job ran'],
  ['ipv6', 'mac 00:1a:2b:3c:4d:5e'],
  ['ipv6', 'std::vector<int> and Foo::Bar'],
  ['credit_card', 'card 4111 1111 1111 1112 declined'], // one digit off: the Luhn check fails
  ['credit_card', 'pan 5500005555555558'],
  ['credit_card', 'id 1234567890123 and 4111 1111 1111'],
  ['credit_card', 'two numbers 4111-1111 1111-1111 and 000-12-3456 666-12-3456'],
  ['jwt', 'header eyJhbGciOiJIUzI1NiJ9 alone'],
  ['bearer_token', 'the bearer of bad news'],
  ['aws_access_key', 'AKIAIOSFODNN7EXAMPL and XAKIAIOSFODNN7EXAMPLE and AKIAIOSFODNN7EXAMPLE1'],
  ['us_ssn', '000-12-3456 666-12-3456 123-00-4567 123-45-0000 900-12-3456'],
  ['us_ssn', 'date 2024-01-15 phone 555-123-4567 id 123-45-67890'],
];

describe('built-in detectors', () => {
  it('cover every kind the docs list, each with a positive and a near-miss here', () => {
    const kinds = DETECTORS.map((d) => d.kind).sort();
    expect(kinds).toEqual(['aws_access_key', 'bearer_token', 'credit_card', 'email', 'ipv4', 'ipv6', 'jwt', 'us_ssn']);
    expect([...new Set(POSITIVES.map(([k]) => k))].sort()).toEqual(kinds);
    expect([...new Set(NEAR_MISSES.map(([k]) => k))].sort()).toEqual(kinds);
  });

  it.each(POSITIVES)('%s: finds it in %j', (kind, text, expected) => {
    const r = redactor();
    expect(r.text(text)).toBe(expected);
    expect(r.counts[kind]).toBe(1);
  });

  it.each(NEAR_MISSES)('%s: leaves %j alone', (_kind, text) => {
    const r = redactor();
    expect(r.text(text)).toBe(text);
    expect(Object.values(r.counts).every((n) => n === 0)).toBe(true);
  });

  it('each detector alone finds its own positive (no other detector is needed to find it)', () => {
    for (const [kind, text, expected] of POSITIVES) {
      if (kind === 'jwt' && text.startsWith('Authorization')) continue; // that one is the overlap rule below
      expect(redactor(detectorsFor([kind])).text(text), kind).toBe(expected);
    }
  });

  it('the Luhn check: valid numbers pass, a changed digit fails', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111 1111 1111 1111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });

  it('several findings in one string, overlapping ones counted once (the detector tried first wins)', () => {
    const r = redactor();
    const out = r.text(`user bob@example.com from 10.1.2.3 paid with 4111111111111111; Authorization: Bearer ${JWT}`);
    expect(out).toBe('user [REDACTED:email] from [REDACTED:ipv4] paid with [REDACTED:credit_card]; Authorization: Bearer [REDACTED:jwt]');
    expect(r.counts).toMatchObject({ email: 1, ipv4: 1, credit_card: 1, jwt: 1, bearer_token: 0 });
  });

  it('returns the very same string when nothing is found', () => {
    const text = 'GET /index.html 200 1532 bytes';
    expect(redactor().text(text)).toBe(text);
  });
});

describe('user patterns', () => {
  it('are matched with RE2 and named by the user', () => {
    const r = redactor(detectorsFor(['email', { name: 'order_id', regex: 'ORD-[0-9]{6}' }]));
    expect(r.text('order ORD-123456 for bob@example.com, ip 10.0.0.1 kept')).toBe('order [REDACTED:order_id] for [REDACTED:email], ip 10.0.0.1 kept');
    expect(r.counts).toEqual({ email: 1, order_id: 1 });
  });

  it('count positions in UTF-16 units, as the rest of the string does', () => {
    const r = redactor(detectorsFor([{ name: 'pin', regex: 'PIN [0-9]{4}' }]));
    expect(r.text('😀 é PIN 1234 — ok')).toBe('😀 é [REDACTED:pin] — ok');
  });
});

describe('hash mode', () => {
  const hashed = (key: Buffer, text: string) => redactor({ mode: 'hash', key }).text(text);

  it('gives equal values equal hashes, in two processor instances (as across restarts) with the same key', () => {
    const a = hashed(KEY, 'login bob@example.com from 10.0.0.7');
    const b = hashed(Buffer.from(KEY), 'logout bob@example.com from 10.0.0.7');
    const hashesA = a.match(/\[HMAC:\w+:[0-9a-f]{32}\]/g);
    expect(hashesA).toHaveLength(2);
    expect(b.match(/\[HMAC:\w+:[0-9a-f]{32}\]/g)).toEqual(hashesA);
    expect(a).not.toContain('bob@example.com');
    expect(a).toMatch(/^login \[HMAC:email:[0-9a-f]{32}\] from \[HMAC:ipv4:[0-9a-f]{32}\]$/);
  });

  it('is keyed: another key gives other hashes; other values give other hashes', () => {
    expect(hashed(KEY, 'bob@example.com')).not.toBe(hashed(Buffer.from('another key, 32 bytes long......'), 'bob@example.com'));
    expect(hashed(KEY, 'bob@example.com')).not.toBe(hashed(KEY, 'eve@example.com'));
  });
});

describe('fields', () => {
  const event = () => ({
    message: 'login bob@example.com',
    event: { original: 'raw bob@example.com' },
    user: { email: 'bob@example.com', ids: ['x', 'carol@example.com'] },
    http: { response: { status_code: 200 } },
    attributes: { note: 'ip 10.0.0.1' },
  });

  it('by default every string field, nested mappings and lists included', () => {
    const e = event();
    redactor().apply(e);
    expect(e).toEqual({
      message: 'login [REDACTED:email]',
      event: { original: 'raw [REDACTED:email]' },
      user: { email: '[REDACTED:email]', ids: ['x', '[REDACTED:email]'] },
      http: { response: { status_code: 200 } },
      attributes: { note: 'ip [REDACTED:ipv4]' },
    });
  });

  it('with `fields`: message, event.original and the listed ones (a listed mapping whole), nothing else', () => {
    const e = event();
    redactor({ fields: ['user'] }).apply(e);
    expect(e.message).toBe('login [REDACTED:email]');
    expect(e.event.original).toBe('raw [REDACTED:email]');
    expect(e.user).toEqual({ email: '[REDACTED:email]', ids: ['x', '[REDACTED:email]'] });
    expect(e.attributes.note).toBe('ip 10.0.0.1');
  });
});
