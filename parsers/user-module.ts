import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ParserModule } from './types.js';

/**
 * Loads a user's parser module by path (`parser: { module: ./my-parser.js }`):
 * its default export, or an export named `parser`, must be a ParserModule
 * (`{ name, create(options, ctx) => { parse(text) } }`).
 */
export async function loadUserParser(path: string): Promise<ParserModule<unknown>> {
  const url = pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load parser module ${path}: ${(err as Error).message}`);
  }
  const candidate = (mod.default ?? mod.parser) as Partial<ParserModule<unknown>> | undefined;
  if (!candidate || typeof candidate.create !== 'function') {
    throw new Error(`parser module ${path} exports no parser: expected a default export (or "parser") with create(options, ctx)`);
  }
  return { name: candidate.name ?? path, options: candidate.options, create: candidate.create.bind(candidate) };
}
