import { ParseFailure, errorText, type LineParser, type ParseResult } from './types.js';

/**
 * `parser: [json, nginx, plain]`: each record goes to the parsers in order and
 * the first that parses it wins (a `null`, "drop", wins too). When all fail,
 * the failure names every parser's reason. A user's parser that throws in the
 * list counts as its failure, and the next one is tried.
 */
export class FallbackParser implements LineParser {
  /** Records parsed by each parser of the list (by its position): the input's `parsedBy` stats. */
  private readonly wins: number[];

  constructor(private readonly parsers: readonly { name: string; parser: LineParser }[]) {
    this.wins = parsers.map(() => 0);
  }

  parse(text: string): ParseResult {
    let reasons = '';
    for (let i = 0; i < this.parsers.length; i++) {
      const { name, parser } = this.parsers[i]!;
      let result: ParseResult | null;
      try {
        result = parser.parse(text);
      } catch (err) {
        result = new ParseFailure(`threw: ${errorText(err)}`);
      }
      if (!(result instanceof ParseFailure)) {
        this.wins[i]!++;
        return result as ParseResult;
      }
      reasons += `${reasons === '' ? '' : '; '}${name}: ${result.reason}`;
    }
    return new ParseFailure(`no parser of the list took it (${reasons})`);
  }

  /** `{ json: 120, plain: 3 }`: how many records each parser of the list took (a name listed twice is summed). */
  parsedBy(): Record<string, number> {
    const out: Record<string, number> = {};
    this.parsers.forEach(({ name }, i) => (out[name] = (out[name] ?? 0) + this.wins[i]!));
    return out;
  }
}
