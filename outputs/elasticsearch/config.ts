import { z } from 'zod';
import { bufferOverrideSchema } from '../../src/config/buffer-schema.js';
import { safeName } from '../../src/config/names.js';
import { DAY, duration, HOUR, KiB, MiB, size, TiB } from '../../src/config/units.js';
import { compileStrftime } from '../../src/util/strftime.js';
import { hideUserinfo } from '../../src/config/secrets.js';

/** ES index names: lower case, none of `\ / * ? " < > | , # :` or spaces, not starting with `-_+`, at most 255 bytes. */
const BAD_INDEX_CHAR = /[\\/*?"<>|,# :A-Z]/;

function indexNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is empty or a dot';
  if (/^[-_+]/.test(name)) return 'starts with -, _ or +';
  const bad = BAD_INDEX_CHAR.exec(name);
  if (bad) return `contains ${JSON.stringify(bad[0])} (index names are lower case, without \\ / * ? " < > | , # : or spaces)`;
  if (Buffer.byteLength(name) > 255) return 'is longer than 255 bytes';
  return undefined;
}

const dataStreamPart = z
  .string()
  .min(1)
  .refine((s) => !/[-\\/*?"<>|,# :A-Z]/.test(s), { message: 'expected lower case without "-" or \\ / * ? " < > | , # : and spaces' });

const secret = () => z.string().min(1).optional();

/** Each secret inline (usually `${ENV_VAR}`) or as a file whose contents (trimmed) are read at each start. */
const authSchema = z
  .strictObject({
    username: z.string().min(1).optional(),
    password: secret(),
    password_file: secret(),
    api_key: secret(),
    api_key_file: secret(),
    bearer_token: secret(),
    bearer_token_file: secret(),
  })
  .superRefine((auth, ctx) => {
    const given = (k: 'password' | 'api_key' | 'bearer_token') => auth[k] !== undefined || auth[`${k}_file`] !== undefined;
    for (const k of ['password', 'api_key', 'bearer_token'] as const) {
      if (auth[k] !== undefined && auth[`${k}_file`] !== undefined) ctx.addIssue({ code: 'custom', path: [`${k}_file`], message: `give ${k} or ${k}_file, not both` });
    }
    const strategies = [auth.username !== undefined || given('password'), given('api_key'), given('bearer_token')].filter(Boolean).length;
    if (strategies !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of: username + password (or password_file), api_key (or api_key_file), bearer_token (or bearer_token_file)' });
    if (given('password') !== (auth.username !== undefined)) ctx.addIssue({ code: 'custom', message: 'basic auth needs both username and password (or password_file)' });
  });

export const elasticsearchOutputSchema = z
  .strictObject({
    name: safeName().optional(),
    type: z.literal('elasticsearch'),
    inputs: z.array(z.string().min(1)).min(1).optional(),
    buffer: bufferOverrideSchema.optional(),
    /** Node URLs, e.g. `https://es-1:9200`; requests are spread over them. */
    hosts: z.union([z.string(), z.array(z.string()).min(1)]).transform((h, ctx) => {
      const list = Array.isArray(h) ? h : [h];
      for (const [i, url] of list.entries()) {
        if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
          // A URL may carry `user:password@` (its password holding `/ # ?`, or no scheme): the message shows it without.
          const shown = JSON.stringify(hideUserinfo(url));
          ctx.addIssue({ code: 'custom', path: Array.isArray(h) ? [i] : [], message: `expected an http:// or https:// URL, got ${shown}` });
        }
      }
      return list;
    }),
    /** Index name, with strftime patterns (UTC) filled from each event's @timestamp: `logs-checkout-%Y.%m.%d`. */
    index: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        try {
          const problem = indexNameProblem(compileStrftime(pattern)(Date.UTC(2024, 0, 2, 3, 4, 5)));
          if (problem) ctx.addIssue({ code: 'custom', message: `the index name ${problem}` });
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
    /** Write into the data stream `<type>-<dataset>-<namespace>` instead of an index; with neither given, `logs-generic-default`. */
    data_stream: z
      .strictObject({
        type: z.enum(['logs', 'metrics', 'traces']).default('logs'),
        dataset: dataStreamPart.default('generic'),
        namespace: dataStreamPart.default('default'),
      })
      .optional(),
    auth: authSchema.optional(),
    tls: z
      .strictObject({
        ca_file: z.string().min(1).optional(),
        cert_file: z.string().min(1).optional(),
        key_file: z.string().min(1).optional(),
        /** false turns certificate checks off (logged loudly at every start). */
        verify: z.boolean().default(true),
        /** The name the server's certificate must carry, when it differs from the URL's host. */
        server_name: z.string().min(1).optional(),
      })
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'cert_file and key_file go together' })
      .optional(),
    /** `auto` asks the server (`GET /`) at start; `8`/`9` skip the question. */
    api_version: z.union([z.literal('auto'), z.literal(7), z.literal(8), z.literal(9)]).default('auto'),
    compression: z.enum(['gzip', 'none']).default('gzip'),
    batch: z
      .strictObject({
        /** Uncompressed bulk body size (actions + documents). */
        max_bytes: size({ min: 1 * KiB, max: 100 * MiB }).default(5 * 1024 * 1024),
        max_events: z.number().int().positive().default(20_000),
        /** How long a batch may wait to fill while events keep coming; an idle input sends at once. */
        timeout: duration({ min: 0, max: 1 * HOUR }).default(1000),
      })
      .prefault({}),
    /** Bulk requests in flight at once. */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** At least 100ms: 0 would let a request hang forever. */
    request_timeout: duration({ min: 100, max: 1 * HOUR }).default(30_000),
    retry: z
      .strictObject({
        initial_backoff: duration({ min: 1, max: 1 * HOUR }).default(200),
        max_backoff: duration({ min: 1, max: 1 * HOUR }).default(30_000),
        /** Items still answered 429/5xx after this long go to the dead-letter file; unset = retry without limit. */
        max_duration: duration({ min: 1, max: 7 * DAY }).optional(),
      })
      .prefault({}),
    dead_letter: z
      .strictObject({
        /** NDJSON file; default `<buffer.path>/dead_letter/<output name>.ndjson`. */
        path: z.string().min(1).optional(),
        /** A file is rotated (`.1`, `.2`, …) past this size. */
        max_bytes: size({ min: 1 * KiB, max: 1 * TiB }).default(100 * 1024 * 1024),
        /** Rotated files kept; the oldest beyond this is deleted (logged, counted). */
        max_files: z.number().int().min(1).default(5),
      })
      .prefault({}),
    /** Installs a component + index template with ECS mappings for logship's fields at start. */
    index_template: z
      .strictObject({
        enabled: z.boolean().default(false),
        name: z.string().min(1).default('logship'),
        priority: z.number().int().min(0).default(200),
      })
      .prefault({}),
  })
  // Checked even when other keys failed (`when`): it reads only whether the two keys are there.
  .refine((cfg) => cfg.index === undefined || cfg.data_stream === undefined, {
    message: 'expected one of index (a name, with %Y.%m.%d patterns) or data_stream ({ type, dataset, namespace }), not both',
    when: (payload) => payload.value !== null && typeof payload.value === 'object',
  });

export type ElasticsearchOutputConfig = z.output<typeof elasticsearchOutputSchema>;
