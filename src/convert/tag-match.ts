/**
 * Tag patterns, which decide which filters and outputs an input's events
 * reach in the old shipper:
 *
 * - Fluentd: space-separated patterns; `*` is one dot-separated part, `**`
 *   zero or more parts, `{a,b}` either;
 * - Fluent Bit: `Match` with `*` matching anything (dots too), or
 *   `Match_Regex`.
 */

export function fluentdMatcher(patterns: string): (tag: string) => boolean {
  const res = patterns.split(/\s+/).filter(Boolean).map((p) => new RegExp(`^${fluentdPattern(p)}$`));
  return (tag) => res.some((re) => re.test(tag));
}

function fluentdPattern(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (p.startsWith('.**', i)) {
      out += '(?:\\..*)?';
      i += 2;
    } else if (p.startsWith('**.', i)) {
      out += '(?:.*\\.)?';
      i += 2;
    } else if (p.startsWith('**', i)) {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^.]*';
    else if (c === '{') {
      const end = p.indexOf('}', i);
      if (end === -1) out += '\\{';
      else {
        out += `(?:${p.slice(i + 1, end).split(',').map(fluentdPattern).join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return out;
}

export function fluentBitMatcher(match: string | undefined, matchRegex: string | undefined): (tag: string) => boolean {
  if (matchRegex !== undefined) {
    try {
      const re = new RegExp(matchRegex);
      return (tag) => re.test(tag);
    } catch {
      return () => false;
    }
  }
  if (match === undefined) return () => false;
  const re = new RegExp(`^${match.split('*').map((s) => s.replace(/[.+?^$(){}|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (tag) => re.test(tag);
}
