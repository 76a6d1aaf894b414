import { parseJson } from '../json.js';
import { ParseFailure } from '../types.js';
import { Rfc3339Cache } from './time.js';
import type { ContainerDecoder, ContainerLine, ContainerStream } from './types.js';

const C_LF = 10;
const C_CR = 13;

/**
 * `docker`: the json-file log driver, one JSON object per line:
 *
 *     {"log":"message text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
 *
 * - `log` (required, a string): the application's text. Docker keeps the
 *   application's `\n`; a `log` without it is a partial piece (docker splits
 *   lines longer than 16 KiB) that continues in the next line of the same
 *   stream. The trailing `\n`, and a `\r` before it, are stripped.
 * - `stream`: `stdout` or `stderr`; absent → `stdout`; any other value is a
 *   ParseFailure.
 * - `time` (required): RFC 3339 with nanoseconds. Docker always writes it, so
 *   a line without a readable one is not a json-file line. Other keys
 *   (`attrs`) are ignored.
 *
 * Malformed JSON, a value that is not an object, a missing or non-string `log`,
 * a missing, non-string, empty or unreadable `time` → ParseFailure (the chain
 * keeps the raw line). A UTF-8 BOM before the object is skipped.
 */
export class DockerDecoder implements ContainerDecoder {
  private readonly times = new Rfc3339Cache();

  decode(line: string): ContainerLine | ParseFailure {
    const obj = parseJson(line);
    if (obj instanceof ParseFailure) return new ParseFailure(`not a docker json-file line: ${obj.reason}`);

    const log = obj.log;
    if (typeof log !== 'string') {
      return new ParseFailure(`not a docker json-file line: ${log === undefined ? 'no "log" key' : '"log" is not a string'}`);
    }

    let stream: ContainerStream;
    const s = obj.stream;
    if (s === 'stdout' || s === undefined) stream = 'stdout';
    else if (s === 'stderr') stream = 'stderr';
    else return new ParseFailure(`not a docker json-file line: bad stream ${JSON.stringify(s)?.slice(0, 40) ?? String(s)}`);

    const t = obj.time;
    if (typeof t !== 'string') return new ParseFailure(`not a docker json-file line: ${t === undefined ? 'no "time" key' : '"time" is not a string'}`);
    const time = this.times.parse(t);
    if (time === undefined) return new ParseFailure(`not a docker json-file line: "time" is not an RFC 3339 time: ${JSON.stringify(t.slice(0, 40))}`);

    const n = log.length;
    if (n > 0 && log.charCodeAt(n - 1) === C_LF) {
      const end = n > 1 && log.charCodeAt(n - 2) === C_CR ? n - 2 : n - 1;
      return { stream, time, text: log.slice(0, end), partial: false };
    }
    return { stream, time, text: log, partial: true };
  }
}

/** The shared decoder (stateless but for a cache of the last timestamp's second). */
export const dockerDecoder: ContainerDecoder = new DockerDecoder();
