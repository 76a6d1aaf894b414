/**
 * The built-in detectors of `redact`, one row each: a pre-check that is a
 * plain substring or character test (most strings skip the regex entirely),
 * the regex, and for cards a check of the digits. The regexes are V8's, not
 * RE2's: they are ours, fixed, and written not to backtrack: every repeat is
 * bounded or over a class that cannot also match what follows it, so a
 * search costs a constant per start position.
 */
export interface Detector {
  readonly kind: string;
  /** False when the text cannot hold a match: the regex is not run. */
  readonly mayContain: (text: string) => boolean;
  /** Global: searched with lastIndex. */
  readonly regex: RegExp;
  /** A further check of a match's text (the Luhn sum). */
  readonly valid?: (match: string) => boolean;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const H = '[0-9A-Fa-f]{1,4}';
const IPV6_FORMS = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `::(?:ffff(?::0{1,4})?:)?(?:${OCTET}\\.){3}${OCTET}`,
  `:(?::${H}){1,7}`,
];

const isDigit = (c: number) => c >= 48 && c <= 57;

/** A run of 13 digits, single spaces or dashes allowed between them: what a card number needs (a date's digits break at `T` or `:`). */
function cardLikeRun(text: string): boolean {
  let digits = 0;
  let separated = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      if (++digits >= 13) return true;
      separated = false;
    } else if ((c === 32 || c === 45) && digits > 0 && !separated) {
      separated = true;
    } else {
      digits = 0;
      separated = false;
    }
  }
  return false;
}

/** `d-dd-d` somewhere: the dashes of an SSN with a digit on each side, checked at each `-` only. */
function ssnDashes(text: string): boolean {
  for (let i = text.indexOf('-'); i >= 0 && i + 4 < text.length; i = text.indexOf('-', i + 1)) {
    if (text.charCodeAt(i + 3) === 45 && i > 0 && isDigit(text.charCodeAt(i - 1)) && isDigit(text.charCodeAt(i + 1)) && isDigit(text.charCodeAt(i + 2)) && isDigit(text.charCodeAt(i + 4))) return true;
  }
  return false;
}

/** An IPv6 address has `::` or at least 7 colons: clock times and `key: value` have neither. */
function ipv6Colons(text: string): boolean {
  if (text.includes('::')) return true;
  let colons = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) if (++colons >= 7) return true;
  return false;
}

/** The Luhn check of a card number's digits (separators skipped). */
export function luhnValid(candidate: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = candidate.length - 1; i >= 0; i--) {
    const c = candidate.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export const DETECTORS: readonly Detector[] = [
  {
    // Before bearer_token: a JWT in an Authorization header is named for what it is.
    kind: 'jwt',
    mayContain: (t) => t.includes('eyJ'),
    regex: /(?<![\w-])eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g,
  },
  {
    // The token only: `Authorization: Bearer [REDACTED:bearer_token]` still says what was there.
    kind: 'bearer_token',
    mayContain: (t) => t.includes('earer') || t.includes('EARER'),
    regex: /(?<=\b[Bb](?:earer|EARER)[ \t]{1,8})[\w.~+/-]{8,}=*/g,
  },
  {
    kind: 'aws_access_key',
    mayContain: (t) => t.includes('IA') || t.includes('ACCA'),
    regex: /(?<![0-9A-Z])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Z])/g,
  },
  {
    // `%40` too: an address in a URL's query string is percent-encoded.
    kind: 'email',
    mayContain: (t) => t.includes('@') || t.includes('%40'),
    regex: /(?<![\w.%+-])[\w.%+-]{1,64}(?:@|%40)(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])/g,
  },
  {
    // 13–19 digits written as cards are: in one run, in fours (4-4-4-4, 4-4-4-4-3) or as Amex's 4-6-5, with one
    // separator throughout; only a number passing the Luhn check is a card. Free separators would join unrelated numbers.
    kind: 'credit_card',
    mayContain: cardLikeRun,
    regex: /(?<![\d-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{5})(?![\d-])/g,
    valid: luhnValid,
  },
  {
    kind: 'us_ssn',
    mayContain: ssnDashes,
    regex: /(?<![\d-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g,
  },
  {
    kind: 'ipv6',
    mayContain: ipv6Colons,
    regex: new RegExp(`(?<![\\w:.])(?:${IPV6_FORMS.join('|')})(?![\\w:]|\\.\\d)`, 'g'),
  },
  {
    kind: 'ipv4',
    mayContain: (t) => t.includes('.'),
    regex: new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\.?\\w)`, 'g'),
  },
];

export const DETECTOR_KINDS: readonly string[] = DETECTORS.map((d) => d.kind);
