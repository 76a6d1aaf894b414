/**
 * Every output type logship has: one line per output folder's definition.
 * The config schema's union of outputs and the output lanes are derived from
 * this list; the core imports nothing else from `outputs/`.
 */
import type { z } from 'zod';
import type { OutputDefinition } from '../src/output/contract.js';
import { elasticsearchOutput } from './elasticsearch/definition.js';
import { fileOutput } from './file/definition.js';
import { opensearchOutput } from './opensearch/definition.js';
import { s3Output } from './s3/definition.js';
import { stdoutOutput } from './stdout/definition.js';

export const outputDefinitions = [fileOutput, stdoutOutput, elasticsearchOutput, s3Output, opensearchOutput] as const;

type SchemasOf<T extends readonly OutputDefinition[]> = { -readonly [K in keyof T]: T[K] extends OutputDefinition<infer S> ? S : never };
type OutputSchemas = SchemasOf<typeof outputDefinitions>;

/** The output schemas as a tuple, for `z.discriminatedUnion`. */
export const outputSchemas = outputDefinitions.map((d) => d.schema) as OutputSchemas;

export type OutputConfig = z.output<OutputSchemas[number]>;
export type NamedOutputConfig = OutputConfig & { name: string };

/** The definition of `type`, with its schema's pairing to config erased (the union loses it). */
export function outputDefinition(type: OutputConfig['type']): OutputDefinition<z.ZodType<NamedOutputConfig>> {
  const found = outputDefinitions.find((d) => d.type === type);
  if (found === undefined) throw new Error(`no output type "${type}"`);
  return found as unknown as OutputDefinition<z.ZodType<NamedOutputConfig>>;
}
