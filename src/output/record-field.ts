/**
 * One field of an encoded event, read from the record's JSON bytes without
 * parsing the record: name templates (`{service.name}` in an S3 prefix or an
 * Elasticsearch index) need one or two short values per event, and a
 * JSON.parse of every record for them would cost more than the rest of the
 * output's work (bench/name-template.mjs).
 *
 * The scan walks the keys of each object on the path and skips every other
 * value, so it reads only the bytes up to the field. Records are what the encoder's JSON.stringify
 * made: keys are compared as bytes, which is exact for a path without
 * characters JSON escapes (the template checks that).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** JSON whitespace; JSON.stringify writes none, a hand-made record may. */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class RecordField {
  /** The path's segments (`service`, `name`), and for each the rest of the path joined (`service.name`, `name`): a key may hold dots. */
  private readonly segments: Buffer[];
  private readonly rests: Buffer[];
  /** Where the last value found starts and ends in the record's buffer (a string's quotes included). */
  valueStart = 0;
  valueEnd = 0;

  constructor(readonly path: string) {
    const parts = path.split('.');
    this.segments = parts.map((p) => Buffer.from(p));
    this.rests = parts.map((_, i) => Buffer.from(parts.slice(i).join('.')));
  }

  /**
   * Finds the field in the JSON object `data[start, end)`; true when it holds
   * a value (its span is then `valueStart`/`valueEnd`). Malformed JSON finds
   * nothing rather than throwing.
   */
  find(data: Buffer, start: number, end: number): boolean {
    const i = skipSpace(data, start, end);
    return data[i] === OPEN_OBJECT && this.inObject(data, i, end, 0);
  }

  /**
   * The value found, as a template renders it: a string's text, a number's or
   * a boolean's JSON; undefined for null, an object or an array.
   */
  text(data: Buffer): string | undefined {
    const first = data[this.valueStart];
    if (first === QUOTE) {
      // A byte loop over the short value: indexOf would search the whole batch past it.
      let escaped = false;
      for (let i = this.valueStart + 1; i < this.valueEnd - 1 && !escaped; i++) escaped = data[i] === BACKSLASH;
      if (!escaped) return data.toString('utf8', this.valueStart + 1, this.valueEnd - 1);
      // An escape: rare in the values a key is made of; JSON.parse decodes it exactly.
      return JSON.parse(data.toString('utf8', this.valueStart, this.valueEnd)) as string;
    }
    if (first === OPEN_OBJECT || first === OPEN_ARRAY || first === 0x6e /* null */) return undefined;
    return data.toString('utf8', this.valueStart, this.valueEnd);
  }

  /** Scans the object opening at `open` for segment `k` of the path. */
  private inObject(data: Buffer, open: number, end: number, k: number): boolean {
    const segment = this.segments[k]!;
    const rest = this.rests[k]!;
    const last = k === this.segments.length - 1;
    let i = skipSpace(data, open + 1, end);
    if (data[i] === CLOSE_OBJECT) return false;
    while (i < end) {
      if (data[i] !== QUOTE) return false;
      const keyEnd = stringEnd(data, i, end);
      if (keyEnd < 0) return false;
      const keyStart = i + 1;
      i = skipSpace(data, keyEnd + 1, end);
      if (data[i] !== COLON) return false;
      i = skipSpace(data, i + 1, end);
      const valueEnd = skipValue(data, i, end);
      if (valueEnd < 0) return false;
      if (sameKey(data, keyStart, keyEnd, segment)) {
        if (last) return this.found(i, valueEnd);
        if (data[i] === OPEN_OBJECT && this.inObject(data, i, valueEnd, k + 1)) return true;
      } else if (!last && sameKey(data, keyStart, keyEnd, rest)) {
        return this.found(i, valueEnd);
      }
      i = skipSpace(data, valueEnd, end);
      if (data[i] !== COMMA) return false;
      i = skipSpace(data, i + 1, end);
    }
    return false;
  }

  private found(start: number, end: number): boolean {
    this.valueStart = start;
    this.valueEnd = end;
    return true;
  }
}

/** Byte loops rather than Buffer.compare/indexOf: on keys and values this short their call overhead dominates. */
function sameKey(data: Buffer, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (data[start + i] !== key[i]) return false;
  return true;
}

function skipSpace(data: Buffer, i: number, end: number): number {
  while (i < end && isSpace(data[i])) i++;
  return i;
}

/** The index of the quote closing the string that opens at `open`, or -1. */
function stringEnd(data: Buffer, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const c = data[i];
    if (c === QUOTE) return i;
    // An escape takes the next byte with it (\" or \\).
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** Where the value starting at `i` ends (exclusive), or -1 when it does not end before `end`. */
function skipValue(data: Buffer, i: number, end: number): number {
  const c = data[i];
  if (c === QUOTE) {
    const q = stringEnd(data, i, end);
    return q < 0 ? -1 : q + 1;
  }
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const b = data[j];
      if (b === QUOTE) {
        j = stringEnd(data, j, end);
        if (j < 0) return -1;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        depth++;
      } else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < end) {
    const b = data[j];
    if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)) break;
    j++;
  }
  return j > i ? j : -1;
}
