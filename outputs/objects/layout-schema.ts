/**
 * The config keys every object output shares (`prefix`, `compression`,
 * `object`), spread into each output's own schema so `file` and S3 lay out
 * their objects the same way.
 */
import { z } from 'zod';
import { DAY, duration, size, TiB } from '../../src/config/units.js';
import { nameTemplateProblem } from '../../src/output/name-template.js';
import { COMPRESSIONS } from './compression.js';

/**
 * The layout keys. `objectNames` shows how the backend names an object
 * (e.g. `<prefix><creation stamp>-<n>.ndjson[.gz]`), for the `object` key's
 * description.
 */
export function objectLayoutFields(objectNames: string) {
  return {
    prefix: z
      .string()
      .default('')
      .superRefine((pattern, ctx) => {
        // `{input}` is checked against `inputs` by the output's schema.
        const problem = nameTemplateProblem(pattern, 'object-key', ['input']);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        "Template placed before the object name: strftime (UTC, from the object's first event's `@timestamp`: `%Y %y %m %d %j %F %H %M %S %T %s %%`) and placeholders `{host}`, `{output}`, `{input}` and event fields (`{service.name}`; absent: `unknown`, or `{service.name:-other}`), e.g. `{kubernetes.namespace}/dt=%Y-%m-%d/hour=%H/`.",
      ),
    compression: z.enum(COMPRESSIONS).default('none').describe('`gzip` writes `.ndjson.gz` objects, one gzip member per sync so a file is always decodable.'),
    object: z
      .strictObject({
        max_bytes: size({ min: 100, max: 1 * TiB }).default(64 * 1024 * 1024).describe('A new object is started once the current one holds this many bytes on disk (compressed, with gzip).'),
        max_age: duration({ min: 100, max: 7 * DAY }).default(5 * 60_000).describe('A new object is started once the current one is this old.'),
        max_events: z.number().int().min(1).optional().describe('A new object is started once the current one holds this many events; default no limit.'),
      })
      .prefault({})
      .describe(`When an object is closed and the next one started (${objectNames}).`),
    max_open_objects: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(16)
      .describe('Objects open at once (one per rendered prefix); a new prefix beyond this closes the least recently used one. Bounds memory.'),
  };
}

/** The layout as parsed, which the object core takes. */
export type ObjectLayout = { readonly [K in keyof LayoutFields]: z.output<LayoutFields[K]> } & { readonly name?: string; readonly inputs?: readonly string[] | undefined };
type LayoutFields = ReturnType<typeof objectLayoutFields>;
