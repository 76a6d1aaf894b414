import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';
import { DAY, duration, HOUR, KiB, MiB, size, TiB } from '../../src/config/units.js';
import { compileNameTemplate, nameTemplateProblem } from '../../src/output/name-template.js';
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

const authSchema = z
  .strictObject({
    username: z.string().min(1).optional().describe('Basic auth user, with `password` or `password_file`.'),
    password: secret().describe('Basic auth password, inline (usually `${ENV_VAR}`).'),
    password_file: secret().describe('File holding the basic auth password (trimmed), read each time the output starts.'),
    api_key: secret().describe("API key, inline (usually `${ENV_VAR}`): the `encoded` field of Elasticsearch's create-API-key answer, sent as `Authorization: ApiKey …`."),
    api_key_file: secret().describe('File holding the API key (trimmed), read each time the output starts.'),
    bearer_token: secret().describe('Bearer token, inline (usually `${ENV_VAR}`), sent as `Authorization: Bearer …`.'),
    bearer_token_file: secret().describe('File holding the bearer token (trimmed), read each time the output starts.'),
  })
  .superRefine((auth, ctx) => {
    const given = (k: 'password' | 'api_key' | 'bearer_token') => auth[k] !== undefined || auth[`${k}_file`] !== undefined;
    for (const k of ['password', 'api_key', 'bearer_token'] as const) {
      if (auth[k] !== undefined && auth[`${k}_file`] !== undefined) ctx.addIssue({ code: 'custom', path: [`${k}_file`], message: `give ${k} or ${k}_file, not both` });
    }
    const strategies = [auth.username !== undefined || given('password'), given('api_key'), given('bearer_token')].filter(Boolean).length;
    if (strategies !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of: username + password (or password_file), api_key (or api_key_file), bearer_token (or bearer_token_file)' });
    if (given('password') !== (auth.username !== undefined)) ctx.addIssue({ code: 'custom', message: 'basic auth needs both username and password (or password_file)' });
  })
  .describe('Exactly one strategy: `username` + `password`, `api_key` or `bearer_token`; each secret inline or as a `_file` (a rotated file is picked up when the output restarts).');

export const elasticsearchOutputSchema = z
  .strictObject({
    type: z.literal('elasticsearch').describe('`elasticsearch`: `_bulk` requests to an index or a data stream (docs/outputs/elasticsearch.md).'),
    ...outputFields,
    hosts: z
      .union([z.string(), z.array(z.string()).min(1)])
      .transform((h, ctx) => {
        const list = Array.isArray(h) ? h : [h];
        for (const [i, url] of list.entries()) {
          if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
            // A URL may carry `user:password@` (its password holding `/ # ?`, or no scheme): the message shows it without.
            const shown = JSON.stringify(hideUserinfo(url));
            ctx.addIssue({ code: 'custom', path: Array.isArray(h) ? [i] : [], message: `expected an http:// or https:// URL, got ${shown}` });
          }
        }
        return list;
      })
      .describe('One `http://` or `https://` node URL, or a list of them (`https://es-1:9200`); requests are spread over them.'),
    index: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        try {
          // `{input}` is checked with `inputs`, below; a field renders as its default here.
          const sample = compileNameTemplate(pattern, { kind: 'index', output: 'output', inputs: ['input'], host: 'host' });
          const problem = indexNameProblem(sample.render(Date.UTC(2024, 0, 2, 3, 4, 5)));
          if (problem) ctx.addIssue({ code: 'custom', message: `the index name ${problem}` });
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional()
      .describe(
        "Index name, with strftime patterns filled in UTC from each event's `@timestamp` and placeholders `{host}`, `{output}`, `{input}` and event fields (`{service.name}`, absent: `unknown`, or `{service.name:-other}`), lower-cased and sanitised: `logs-{service.name}-%Y.%m.%d`. Give `index` or `data_stream`, not both.",
      ),
    data_stream: z
      .strictObject({
        type: z.enum(['logs', 'metrics', 'traces']).default('logs').describe('The data stream type, the first part of its name.'),
        dataset: dataStreamPart.default('generic').describe('The dataset, the second part of the name: lower case, without `-`.'),
        namespace: dataStreamPart.default('default').describe('The namespace, the third part of the name: lower case, without `-`.'),
      })
      .optional()
      .describe('Write into the data stream `<type>-<dataset>-<namespace>` instead of an index, adding the `data_stream` fields; with neither given, `logs-generic-default`.'),
    auth: authSchema.optional(),
    tls: z
      .strictObject({
        ca_file: z.string().min(1).optional().describe("CA certificate(s) the server's certificate must chain to; default Node's CA list."),
        cert_file: z.string().min(1).optional().describe('Client certificate, with `key_file`.'),
        key_file: z.string().min(1).optional().describe("The client certificate's private key, with `cert_file`."),
        verify: z.boolean().default(true).describe('`false` turns certificate checks off (a loud warning is logged at every start).'),
        server_name: z.string().min(1).optional().describe("The name the server's certificate must carry, when it differs from the URL's host (TLS `servername`)."),
      })
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'cert_file and key_file go together' })
      .optional()
      .describe('TLS for `https://` hosts; the files are read each time the output starts.'),
    api_version: z
      .union([z.literal('auto'), z.literal(7), z.literal(8), z.literal(9)])
      .default('auto')
      .describe('`auto` asks the server (`GET /`) at start; `7`, `8` or `9` skips the question.'),
    compression: z.enum(['gzip', 'none']).default('gzip').describe('`gzip` compresses request bodies (`Content-Encoding: gzip`).'),
    batch: z
      .strictObject({
        max_bytes: size({ min: 1 * KiB, max: 100 * MiB })
          .default(5 * 1024 * 1024)
          .describe("A batch closes once its `_bulk` body before compression (each event's JSON, its action line and, for a data stream, the added `data_stream` fields) reaches this, so a body can exceed it by one event."),
        max_events: z.number().int().positive().default(20_000).describe('The most events in one batch (one `_bulk` request).'),
        timeout: duration({ min: 0, max: 1 * HOUR }).default(300).describe('How long a batch may wait to fill while events keep coming; when nothing new arrives for `idle_gap` (an idle input) it is sent at once. The default keeps the median delay from append to acknowledgement near 200 ms with bulks of ~1 MB at 10,000 events/s (BENCHMARKS.md, footprint).'),
        idle_gap: duration({ min: 0, max: 1 * HOUR })
          .default(100)
          .describe('While a batch waits to fill, a pause this long with nothing new means the input went idle and the batch is sent at once. An app that writes in bursts further apart than this gets one request per burst.'),
      })
      .prefault({})
      .describe('How events are grouped into `_bulk` requests.'),
    concurrency: z.number().int().min(1).max(64).default(2).describe('Batches in flight at once, each one `_bulk` request at a time.'),
    // At least 100ms: 0 would let a request hang forever.
    request_timeout: duration({ min: 100, max: 1 * HOUR })
      .default(30_000)
      .describe('Per request (`GET /`, templates, `_bulk`), for the whole answer: one trickled slowly is cut off too. A `_bulk` request that times out is sent again, with backoff, without limit.'),
    retry: z
      .strictObject({
        initial_backoff: duration({ min: 1, max: 1 * HOUR }).default(200).describe('The first backoff ceiling; it doubles on each retry (the wait is drawn below it).'),
        max_backoff: duration({ min: 1, max: 1 * HOUR }).default(30_000).describe('The backoff ceiling never exceeds this.'),
        max_duration: duration({ min: 1, max: 7 * DAY })
          .optional()
          .describe('Items still refused with a retried status (anything but 2xx, 409 and 400) this long after their first refusal go to the dead-letter file; unset: retry without limit.'),
      })
      .prefault({})
      .describe('Retries of refused items and failed requests.'),
    dead_letter: z
      .strictObject({
        path: z.string().min(1).optional().describe('NDJSON file of the events Elasticsearch rejected; default `<buffer.path>/dead_letter/<output name>.ndjson`.'),
        max_bytes: size({ min: 1 * KiB, max: 1 * TiB }).default(100 * 1024 * 1024).describe('The file is rotated (`.1`, `.2`, …) before it would grow past this.'),
        max_files: z.number().int().min(1).default(5).describe('Rotated files kept; the oldest beyond this is deleted (logged and counted).'),
      })
      .prefault({})
      .describe('Where events Elasticsearch refuses for good (a mapping error, or `retry.max_duration` passed) are written.'),
    index_template: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Install the templates at start.'),
        name: z.string().min(1).default('logship').describe('Name of the index template; the component template is `<name>-ecs-mappings`.'),
        priority: z.number().int().min(0).default(200).describe("The index template's priority."),
      })
      .prefault({})
      .describe("A component + index template with ECS mappings for logship's fields, installed at start."),
  })
  .superRefine((cfg, ctx) => {
    const problem = cfg.index === undefined ? undefined : nameTemplateProblem(cfg.index, 'index', cfg.inputs);
    if (problem) ctx.addIssue({ code: 'custom', path: ['index'], message: problem });
  })
  // Checked even when other keys failed (`when`): it reads only whether the two keys are there.
  .refine((cfg) => cfg.index === undefined || cfg.data_stream === undefined, {
    message: 'expected one of index (a name, with %Y.%m.%d patterns) or data_stream ({ type, dataset, namespace }), not both',
    when: (payload) => payload.value !== null && typeof payload.value === 'object',
  });

export type ElasticsearchOutputConfig = z.output<typeof elasticsearchOutputSchema>;
