import { lineModule, type ParseResult, type ParserModule } from './types.js';

/** `plain`: the whole record is the message (`{ message: text }`); never a parse failure. */
export function parsePlain(text: string): ParseResult {
  return { message: text };
}

export const plain: ParserModule = lineModule('plain', parsePlain);

export default plain;
