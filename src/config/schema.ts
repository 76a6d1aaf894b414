import { z } from 'zod';
import { outputSchemas } from '../../outputs/registry.js';
import { RESERVED_ROOTS } from '../../parsers/normalize.js';
import { parseListenAddress } from '../server/listen-address.js';
import { DAY, duration, GiB, HOUR, KiB, MiB, size, TiB } from './units.js';

/**
 * The fields logship itself writes on every event (the normaliser, the encoder):
 * a static field may neither be one, nor hold one (`log`), nor sit inside one
 * (`log.offset.x`). Everything else is the user's (`event.dataset`, `service.*`,
 * `log.level`…): static fields win over parsed values.
 */
const PIPELINE_FIELDS = ['@timestamp', 'message', 'tags', 'log.file.path', 'log.offset', 'event.id', 'event.original', 'ecs.version'];

function clashesWithPipeline(key: string): string | undefined {
  return PIPELINE_FIELDS.find((f) => f === key || f.startsWith(`${key}.`) || key.startsWith(`${f}.`));
}

const parserSpec = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().min(1).optional(),
    module: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).default({}),
  }),
]);

/** An input's keys, each checked on its own; checks across keys (cross-check.ts) run on the raw tree. */
export const inputFields = z.strictObject({
  name: z.string().min(1).optional(),
  /** Globs (`*`, `**`, `{a,b}`); absolute, or relative to the working directory. */
  paths: z.array(z.string().min(1)).min(1),
  /** Globs matched against the full path and against the file name. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Where to start in a file seen for the first time; known files resume from their checkpoint. */
  start_at: z.enum(['beginning', 'end']).default('beginning'),
  /**
   * A format name (`json`, `syslog`, `cri`, …), `{ name, options }`, a user's module
   * (`{ module: ./p.js, options }`), or a list of these: the first that parses a record wins.
   */
  parser: z.union([parserSpec, z.array(parserSpec)]).default('plain'),
  /** Container log wrapper decoded before multi-line and the content parser. */
  container: z.enum(['cri', 'docker']).optional(),
  /** Multi-line assembly: `{ preset: java }` (or `[java, go]`) or `{ start: '^\\d{4}-', continue?, max_lines, max_bytes, timeout }`. */
  multiline: z
    .strictObject({
      preset: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      start: z.string().min(1).optional(),
      continue: z.string().min(1).optional(),
      max_lines: z.number().int().positive().optional(),
      max_bytes: size({ min: 1 * KiB, max: 1 * GiB }).optional(),
      timeout: duration({ min: 10, max: 1 * HOUR }).optional(),
    })
    .optional(),
  /** Zone for timestamps without an offset (IANA name, `UTC` or `+02:00`). */
  timezone: z.string().min(1).optional(),
  /** strptime-style format for timestamps the built-in recognisers do not know. */
  time_format: z.string().min(1).optional(),
  /** Keep the raw text in `event.original`. */
  keep_original: z.boolean().default(false),
  /** Where parsed non-ECS fields go: `attributes`, another field name, or `""` for the event root. */
  fields_under: z
    .string()
    .default('attributes')
    .refine((name) => name === '' || name === 'attributes' || (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED_ROOTS.has(name)), {
      message: 'expected "attributes", "" (the event root) or a plain field name not used by the schema (not message, log, event, tags, error, …)',
    }),
  /** Static fields added to every event, by dotted name (`service.name: checkout`). */
  fields: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .superRefine((fields, ctx) => {
      for (const key of Object.keys(fields)) {
        const owned = clashesWithPipeline(key);
        if (owned !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `logship sets ${owned} on every event; choose another name` });
      }
    }),
  max_line_bytes: size({ min: 256, max: 1 * GiB }).default(1024 * 1024),
  /** stat() of every tracked file; the guarantee behind fs.watch's hints. */
  poll_interval: duration({ min: 50, max: 1 * HOUR }).default(250),
  /** Glob re-expansion, to find files that appear later. */
  rescan_interval: duration({ min: 100, max: 1 * DAY }).default(2000),
  /** How long a rotated or deleted file stays open after its last read, for late writes. */
  rotate_wait: duration({ min: 100, max: 1 * DAY }).default(5000),
  /** A last line without a newline is emitted (tagged `partial_line`) after this much idle time. */
  partial_line_timeout: duration({ min: 100, max: 1 * DAY }).default(5000),
  /** Bytes at the head of a file hashed into its identity (with dev and inode). */
  fingerprint_bytes: size({ min: 64, max: 64 * KiB }).default(1024),
  /** Files not modified for longer are not opened; once modified they are tailed from where they ended then. */
  ignore_older: duration({ min: 1000, max: 24 * DAY }).optional(),
  /** Open files per input at most: the least recently active, fully read, is closed first and reopened by identity when it changes. */
  max_open_files: z.number().int().min(1).max(1_000_000).optional(),
});

const outputSchema = z.discriminatedUnion('type', outputSchemas);

export const configSchema = z
  .strictObject({
    inputs: z.array(inputFields).min(1),
    outputs: z.array(outputSchema).min(1),
    /** State directory (checkpoints, one disk buffer per output) and the buffers' defaults. */
    buffer: z
      .strictObject({
        path: z.string().min(1).default('./data'),
        type: z.enum(['disk', 'memory']).default('disk'),
        max_size: size({ min: 1 * MiB, max: 16 * TiB }).default(1024 ** 3),
        when_full: z.enum(['block', 'drop_newest']).default('block'),
        /** Appended records are fsynced in groups this often; a batch counts as durable only after its fsync. */
        sync_interval: duration({ min: 10, max: 1 * HOUR }).default(200),
        segment_size: size({ min: 64 * KiB, max: 1 * GiB }).default(64 * 1024 ** 2),
      })
      .prefault({}),
    checkpoint: z.strictObject({ interval: duration({ min: 100, max: 1 * HOUR }).default(1000) }).prefault({}),
    shutdown: z.strictObject({ timeout: duration({ min: 100, max: 1 * DAY }).default(30_000) }).prefault({}),
    /** `/livez`, `/readyz`, `/metrics` on `host:port` (off when left out; `127.0.0.1:0` picks a port). */
    server: z
      .strictObject({
        listen: z.string().superRefine((address, ctx) => {
          const parsed = parseListenAddress(address);
          if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
        }),
      })
      .optional(),
    log: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
      .prefault({}),
  });

export type Config = z.output<typeof configSchema>;
export type InputConfig = Config['inputs'][number] & { name: string };
