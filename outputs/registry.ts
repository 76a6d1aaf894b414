import type { z } from 'zod';
import type { Output, OutputContext } from './types.js';
import { elasticsearchOutputSchema } from './elasticsearch/config.js';
import { actionLineBytes } from './elasticsearch/target.js';
import { fileOutputSchema } from './file/config.js';
import { stdoutOutputSchema } from './stdout/config.js';

/** How the delivery loop batches for an output: at most this much per write, lingering to fill. */
export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** How long a batch may wait for more events while they keep coming (0: send what is there). */
  readonly lingerMs: number;
  /** Bytes the output adds per event (an ES action line), counted against maxBytes. */
  readonly recordOverhead: number;
}

/** What one file or stdout write takes from the buffer at most. */
const LOCAL_LIMITS: BatchLimits = { maxEvents: 10_000, maxBytes: 5 * 1024 * 1024, lingerMs: 0, recordOverhead: 1 };

/**
 * Output types by name. The schema is loaded eagerly (validate needs it); the
 * implementation lazily, so `logship validate` never loads an SDK it does not use.
 */
export const outputRegistry = {
  file: {
    schema: fileOutputSchema,
    load: async () => (await import('./file/index.js')).createFileOutput,
    limits: (): BatchLimits => LOCAL_LIMITS,
  },
  stdout: {
    schema: stdoutOutputSchema,
    load: async () => (await import('./stdout/index.js')).createStdoutOutput,
    limits: (): BatchLimits => LOCAL_LIMITS,
  },
  elasticsearch: {
    schema: elasticsearchOutputSchema,
    load: async () => (await import('./elasticsearch/index.js')).createElasticsearchOutput,
    limits: (c: z.output<typeof elasticsearchOutputSchema>): BatchLimits => ({
      maxEvents: c.batch.max_events,
      maxBytes: c.batch.max_bytes,
      lingerMs: c.batch.timeout,
      recordOverhead: actionLineBytes(c),
    }),
  },
} as const;

export type OutputType = keyof typeof outputRegistry;
export type OutputConfig = { [K in OutputType]: z.output<(typeof outputRegistry)[K]['schema']> }[OutputType];
export type NamedOutputConfig = OutputConfig & { name: string };

export type OutputFactory<C> = (config: C & { name: string }, ctx: OutputContext) => Output;
