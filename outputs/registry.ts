import type { z } from 'zod';
import type { Output, OutputContext } from './types.js';
import { fileOutputSchema } from './file/config.js';
import { stdoutOutputSchema } from './stdout/config.js';

/**
 * Output types by name. The schema is loaded eagerly (validate needs it); the
 * implementation lazily, so `logship validate` never loads an SDK it does not use.
 */
export const outputRegistry = {
  file: {
    schema: fileOutputSchema,
    load: async () => (await import('./file/index.js')).createFileOutput,
  },
  stdout: {
    schema: stdoutOutputSchema,
    load: async () => (await import('./stdout/index.js')).createStdoutOutput,
  },
} as const;

export type OutputType = keyof typeof outputRegistry;
export type OutputConfig = { [K in OutputType]: z.output<(typeof outputRegistry)[K]['schema']> }[OutputType];
export type NamedOutputConfig = OutputConfig & { name: string };

export type OutputFactory<C> = (config: C & { name: string }, ctx: OutputContext) => Output;
