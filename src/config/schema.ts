import { z } from 'zod';
import { outputSchemas } from '../../outputs/registry.js';
import { MULTILINE_DEFAULTS, MULTILINE_PRESETS } from '../../parsers/multiline/presets.js';
import { RESERVED_ROOTS } from '../../parsers/normalize.js';
import { formatNames } from '../../parsers/registry.js';
import { enrichSchema } from '../enrich/schema.js';
import { processorsSchema } from '../processors/schema.js';
import { parseListenAddress } from '../server/listen-address.js';
import { formatDuration, formatSize } from '../../parsers/units.js';
import { DAY, duration, GiB, HOUR, KiB, MiB, size, TiB } from './units.js';

/**
 * The fields logship itself writes on every event (the normaliser, the encoder):
 * a static field may neither be one, nor hold one (`log`), nor sit inside one
 * (`log.offset.x`). Everything else is the user's (`event.dataset`, `service.*`,
 * `log.level`…): static fields win over parsed values.
 */
const PIPELINE_FIELDS = ['@timestamp', 'message', 'tags', 'log.file.path', 'log.offset', 'event.id', 'event.original', 'ecs.version'];

/** `` `a`, `b` `` for a description: the names come from the registries, so the text cannot fall behind them. */
const codeList = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

function clashesWithPipeline(key: string): string | undefined {
  return PIPELINE_FIELDS.find((f) => f === key || f.startsWith(`${key}.`) || key.startsWith(`${f}.`));
}

const parserSpec = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().min(1).optional().describe(`A format name: ${codeList(formatNames())} (the parser sections below list their options).`),
    module: z.string().min(1).optional().describe('Path of your own parser module (`./my-parser.js`), relative to the working directory, instead of `name`.'),
    options: z.record(z.string(), z.unknown()).default({}).describe("The parser's options, checked by the parser itself (see the parser sections below)."),
  }),
]);

/** An input's keys, each checked on its own; checks across keys (cross-check.ts) run on the raw tree. */
export const inputFields = z.strictObject({
  name: z.string().min(1).optional().describe("Names the input in outputs' `inputs` lists, checkpoints, metrics and log lines; default `input-<index>`."),
  paths: z.array(z.string().min(1)).min(1).describe('Globs (`*`, `**`, `{a,b}`) of the files to tail; absolute, or relative to the working directory.'),
  exclude: z.array(z.string().min(1)).default([]).describe('Globs matched against the full path and against the file name: matching files are not tailed (`*.gz`).'),
  start_at: z.enum(['beginning', 'end']).default('beginning').describe('Where to start in a file seen for the very first time; known files resume from their checkpoint.'),
  parser: z
    .union([parserSpec, z.array(parserSpec)])
    .default('plain')
    .describe('A format name (`json`, `syslog`, `cri`, …), `{ name, options }`, your own module (`{ module: ./p.js, options }`), or a list of these: the first that parses a record wins.'),
  container: z.enum(['cri', 'docker']).optional().describe("Container runtime log wrapper, decoded before multi-line and the content parser (partial lines joined per stream)."),
  multiline: z
    .strictObject({
      preset: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe(`A preset (${codeList(MULTILINE_PRESETS)}) or a list of them: it decides the lines \`start\` and \`continue\` do not match.`),
      start: z.string().min(1).optional().describe('Regular expression: a line it matches always begins an event (`^\\d{4}-`).'),
      continue: z.string().min(1).optional().describe('Regular expression: a line it matches always continues the event before it (`^\\s`).'),
      max_lines: z.number().int().positive().optional().describe(`An event is cut after this many lines and both parts are tagged; default ${MULTILINE_DEFAULTS.maxLines}.`),
      max_bytes: size({ min: 1 * KiB, max: 1 * GiB }).optional().describe(`An event is cut past this size and both parts are tagged; default ${formatSize(MULTILINE_DEFAULTS.maxBytes)}.`),
      timeout: duration({ min: 10, max: 1 * HOUR }).optional().describe(`An event is emitted when no line has come for this long; default ${formatDuration(MULTILINE_DEFAULTS.timeoutMs)}.`),
    })
    .optional()
    .describe('Multi-line assembly: `{ preset: java }` (or `[java, go]`), or your own rules `{ start, continue, max_lines, max_bytes, timeout }`.'),
  timezone: z.string().min(1).optional().describe('Zone for timestamps without an offset: an IANA name, `UTC` or `+02:00`; default UTC.'),
  time_format: z.string().min(1).optional().describe('strptime-style format (`%d.%m.%Y %H:%M:%S`) for timestamps the built-in recognisers do not know.'),
  keep_original: z.boolean().default(false).describe('Keep the raw text in `event.original`.'),
  fields_under: z
    .string()
    .default('attributes')
    .refine((name) => name === '' || name === 'attributes' || (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED_ROOTS.has(name)), {
      message: 'expected "attributes", "" (the event root) or a plain field name not used by the schema (not message, log, event, tags, error, …)',
    })
    .describe('Where parsed fields without an ECS name go: `attributes`, another field name, or `""` for the event root.'),
  fields: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .superRefine((fields, ctx) => {
      for (const key of Object.keys(fields)) {
        const owned = clashesWithPipeline(key);
        if (owned !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `logship sets ${owned} on every event; choose another name` });
      }
    })
    .describe('Static fields added to every event, by dotted name (`service.name: checkout`); they win over parsed values.'),
  max_line_bytes: size({ min: 256, max: 1 * GiB }).default(1024 * 1024).describe('Longer lines are cut here, tagged `truncated` and counted.'),
  poll_interval: duration({ min: 50, max: 1 * HOUR }).default(250).describe("How often every tracked file is stat()ed: the guarantee behind fs.watch's hints (idle files back off to 10 times this)."),
  rescan_interval: duration({ min: 100, max: 1 * DAY }).default(2000).describe('How often the globs are expanded again, to find files that appear later.'),
  rotate_wait: duration({ min: 100, max: 1 * DAY }).default(5000).describe('How long a rotated or deleted file stays open after its last read, for late writes.'),
  partial_line_timeout: duration({ min: 100, max: 1 * DAY }).default(5000).describe('A last line without a newline is emitted (tagged `partial_line`) after this much idle time.'),
  fingerprint_bytes: size({ min: 64, max: 64 * KiB }).default(1024).describe("Bytes at the head of a file hashed into its identity (with its device and inode)."),
  ignore_older: duration({ min: 1000, max: 24 * DAY }).optional().describe('Files not modified for longer are not opened; once modified they are tailed from where they ended then. Unset: every file is read.'),
  max_open_files: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe('Open files per input at most: the least recently active, fully read, is closed first and reopened by identity when it changes. Unset: no limit.'),
  processors: processorsSchema,
});

/** `host:port` (`[::1]:2020`), checked like the server binds it. */
const listenAddress = z.string().superRefine((address, ctx) => {
  const parsed = parseListenAddress(address);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

const outputSchema = z.discriminatedUnion('type', outputSchemas);

export const configSchema = z
  .strictObject({
    inputs: z.array(inputFields).min(1).describe('The files to tail and how to parse them: one entry per input.'),
    outputs: z.array(outputSchema).min(1).describe("Where events go: one entry per output, each with its own buffer; each `type`'s keys are listed in its own section below."),
    buffer: z
      .strictObject({
        path: z.string().min(1).default('./data').describe('State directory: `checkpoints.json`, `buffers/<output>/` and the dead-letter files live here.'),
        type: z.enum(['disk', 'memory']).default('disk').describe("`disk`: a durable queue of CRC-checked segment files per output; `memory`: a bounded queue, and checkpoints then move only on the output's acknowledgement."),
        max_size: size({ min: 1 * MiB, max: 16 * TiB }).default(1024 ** 3).describe('The most one output\'s buffer holds.'),
        when_full: z.enum(['block', 'drop_newest']).default('block').describe('`block`: reading pauses and the source files are the overflow; `drop_newest`: new events are dropped and counted.'),
        sync_interval: duration({ min: 10, max: 1 * HOUR }).default(200).describe('Appended records are fsynced in groups this often; a batch counts as durable only after its fsync.'),
        segment_size: size({ min: 64 * KiB, max: 1 * GiB }).default(64 * 1024 ** 2).describe('Size of one segment file of a disk buffer; a segment is deleted once all its records are acknowledged.'),
      })
      .prefault({})
      .describe("The state directory (checkpoints, one disk buffer per output) and the defaults of every output's buffer."),
    checkpoint: z
      .strictObject({ interval: duration({ min: 100, max: 1 * HOUR }).default(1000).describe('How often the durable read offsets are written to `checkpoints.json`.') })
      .prefault({})
      .describe('Where each file was read up to, kept under `buffer.path`.'),
    shutdown: z
      .strictObject({ timeout: duration({ min: 100, max: 1 * DAY }).default(30_000).describe('The whole stop fits in this: a request still in flight is then abandoned, its events kept in the buffer.') })
      .prefault({})
      .describe('What a stop (SIGTERM, SIGINT) may take.'),
    enrich: enrichSchema,
    pipeline: z
      .strictObject({
        workers: z
          .union([z.literal('auto'), z.number().int().min(0).max(16)])
          .default('auto')
          .describe('Threads that parse, process and encode events beside the main thread (which reads, buffers and delivers); each input runs on one. `auto`: one less than the usable CPUs (a CFS quota counts: a 500m limit is one CPU), at most 4, so none on one CPU, and no more than a container memory limit leaves room for (~40 MiB each: none under 192Mi, one at 256Mi); `0`: parse on the main thread.'),
      })
      .prefault({})
      .describe('Where the CPU work of the inputs runs (docs/architecture.md, "Parse workers"). Changing it needs a restart.'),
    config: z
      .strictObject({
        watch: z.boolean().default(false).describe('Reload when the config file changes (its content, through symlinks: a Kubernetes ConfigMap swap), checked every `poll_interval`; SIGHUP reloads either way (docs/reload.md).'),
        poll_interval: duration({ min: 100, max: 1 * HOUR }).default(5000).describe('How often the config file is read and hashed while `watch` is on.'),
      })
      .prefault({})
      .describe('Reloading this file while running (docs/reload.md).'),
    reload: z
      .strictObject({
        timeout: duration({ min: 100, max: 1 * HOUR }).default(30_000).describe('A reload that has not started the new config within this is rolled back to the old one; it never waits for an output to drain.'),
      })
      .prefault({})
      .describe('How a reload (SIGHUP, or a change seen by `config.watch`) applies a new config.'),
    server: z
      .strictObject({
        listen: listenAddress
          .describe('`host:port` to listen on; `127.0.0.1:0` picks a free port.'),
        health: z
          .strictObject({
            output_failure_grace: duration({ min: 100, max: 1 * DAY })
              .default(30_000)
              .describe('`/health` fails once an output has been failing (retrying without an acknowledgement) for this long.'),
            buffer_high_water: z
              .number()
              .gt(0)
              .max(1)
              .default(0.9)
              .describe("`/health` fails while a buffer holds more than this fraction of its `max_size`."),
          })
          .prefault({})
          .describe('When `/health` answers 503 (docs/health.md).'),
        liveness: z
          .strictObject({
            max_stall: duration({ min: 100, max: 1 * HOUR })
              .default(10_000)
              .describe('`/livez` fails after the event loop stalled (a timer ran late) for longer than this.'),
          })
          .prefault({})
          .describe('When `/livez` answers 503.'),
        admin_listen: listenAddress
          .optional()
          .describe('`host:port` of the admin listener: the status page `/`, `/api/status` and `/api/tap` (`logship top`, `logship tap`; docs/live-view.md). They show file paths and events, so keep it on loopback (`127.0.0.1:2021`); off when left out.'),
        admin_allow_raw: z
          .boolean()
          .default(false)
          .describe('Let `logship tap --stage read` see raw lines as read, before the processors redact them.'),
      })
      .optional()
      .describe('HTTP endpoints `/health`, `/readyz`, `/livez` (docs/health.md) and `/metrics` (Prometheus); off when left out.'),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info').describe('The least severe of logship\'s own diagnostics written; the environment variable `LOGSHIP_LOG_LEVEL` overrides it.'),
        format: z
          .enum(['auto', 'json', 'pretty'])
          .default('auto')
          .describe('`json`: one JSON object per line (for collectors); `pretty`: readable lines and a progress line every 5 s (events/s read and shipped, buffer, lag); `auto`: `pretty` when stderr is a terminal, else `json`.'),
      })
      .prefault({})
      .describe("logship's own diagnostics on stderr: JSON lines (pino), or readable lines on a terminal."),
  });

export type Config = z.output<typeof configSchema>;
export type InputConfig = Config['inputs'][number] & { name: string };
