import { ParseFailure } from '../types.js';
import { Rfc3339Cache } from './time.js';
import type { ContainerDecoder, ContainerLine } from './types.js';

const C_COLON = 58;
const C_P = 80;
const C_F = 70;

/** How much of a bad line a failure reason quotes. */
const QUOTE_MAX = 40;

/**
 * `cri`: the log format of containerd and CRI-O (what the kubelet reads under
 * `/var/log/pods/…`):
 *
 *     2024-01-02T03:04:05.123456789Z stdout F message text
 *
 * Three fields separated by single spaces, then the message:
 * - time: RFC 3339 with nanoseconds and an offset (`Z` or `+00:00`);
 * - stream: `stdout` or `stderr`;
 * - tag: `F` (full: this piece ends the application line) or `P` (partial: the
 *   line continues in the next `P`/`F` piece of the same stream). More flags
 *   may follow the letter after a `:` (`F:x`); only the letter is read.
 * - message: everything after the third space, byte for byte (it may be empty,
 *   may start with spaces, and is not trimmed). A line that ends right after
 *   its tag (no third space) has an empty message.
 *
 * Anything else is a ParseFailure naming what was wrong. No regex: three
 * `indexOf` calls and a cached RFC 3339 reader.
 *
 * Known limit: containerd splits long lines (16 KiB) at a byte count, so a
 * multi-byte UTF-8 character can straddle a `P` piece and the next one. Lines
 * reach us as strings decoded one raw line at a time, so such a character
 * arrives as U+FFFD on each side and is not restored by the joiner.
 */
export class CriDecoder implements ContainerDecoder {
  private readonly times = new Rfc3339Cache();

  decode(line: string): ContainerLine | ParseFailure {
    const sp1 = line.indexOf(' ');
    if (sp1 <= 0) return fail('no time field', line);
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0) return fail('no stream field', line);

    let stream: 'stdout' | 'stderr';
    if (sp2 - sp1 === 7 && line.startsWith('stdout', sp1 + 1)) stream = 'stdout';
    else if (sp2 - sp1 === 7 && line.startsWith('stderr', sp1 + 1)) stream = 'stderr';
    else return fail(`bad stream ${quote(line.slice(sp1 + 1, sp2))}`, line);

    let sp3 = line.indexOf(' ', sp2 + 1);
    if (sp3 < 0) sp3 = line.length;
    const tagLen = sp3 - sp2 - 1;
    const tag = line.charCodeAt(sp2 + 1);
    if (tagLen === 0 || (tag !== C_F && tag !== C_P) || (tagLen > 1 && line.charCodeAt(sp2 + 2) !== C_COLON)) {
      return fail(`bad tag ${quote(line.slice(sp2 + 1, sp3))} (expected P or F)`, line);
    }

    const time = this.times.parse(line.slice(0, sp1));
    if (time === undefined) return fail(`bad time ${quote(line.slice(0, sp1))}`, line);

    return {
      stream,
      time,
      text: sp3 >= line.length ? '' : line.slice(sp3 + 1),
      partial: tag === C_P,
    };
  }
}

function quote(s: string): string {
  return JSON.stringify(s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s);
}

function fail(what: string, line: string): ParseFailure {
  if (line.length === 0) return new ParseFailure('not a CRI log line: empty line');
  return new ParseFailure(`not a CRI log line (time stream P|F message): ${what}`);
}

/** The shared decoder (stateless but for a cache of the last timestamp's second). */
export const criDecoder: ContainerDecoder = new CriDecoder();
