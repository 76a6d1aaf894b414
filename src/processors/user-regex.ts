import { RE2JS } from 're2js';

/**
 * A user's regular expression, compiled by RE2JS (a JavaScript port of RE2):
 * matching time is linear in the text whatever the pattern, so a pattern in a
 * config cannot stall the pipeline on a hostile line (V8's backtracking engine
 * takes seconds on `(a+)+$` against 30 `a`s). RE2 syntax is Perl's without
 * backreferences and lookarounds; a pattern using them is rejected when the
 * config is validated.
 */
export type UserRegex = RE2JS;

/** The compiled pattern, or the reason it is refused (RE2's own words). */
export function compileUserRegex(pattern: string): UserRegex | string {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    const detail = (err as Error).message.replace(/^error parsing regexp: /, '');
    return `invalid regular expression (RE2 syntax: no backreferences or lookarounds): ${detail}`;
  }
}

/** Each match's [start, end) in UTF-16 units, as String.slice counts. */
export function* userMatches(re: UserRegex, text: string): Generator<[number, number]> {
  const m = re.matcher(text);
  while (m.find()) {
    const start = m.start();
    const end = m.end();
    if (end > start) yield [start, end];
  }
}
