import type { LineParser, ParseResult, ParserModule } from './types.js';

/** `plain`: the whole record is the message (`{ message: text }`); never a parse failure. */
export function parsePlain(text: string): ParseResult {
  return { message: text };
}

export const plain: ParserModule = {
  name: 'plain',
  create(_options: unknown): LineParser {
    return { parse: parsePlain };
  },
};

export default plain;
