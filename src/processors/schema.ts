import { z } from 'zod';
import { conditionProblems, validField } from './conditions.js';
import { DETECTOR_KINDS } from './detectors.js';
import { compileUserRegex } from './user-regex.js';

/**
 * `inputs[].processors`: the list, each entry a mapping with exactly one of
 * the keys below. Every regex is compiled here once, so `logship validate`
 * names a bad one by its path.
 */

/** Written by the encoder after the processors run: a processor that sets them would be overruled. */
const ENCODER_FIELDS = ['log.file.path', 'log.offset', 'event.id', 'host.name'];

const field = z.string().refine(validField, { message: 'expected a dotted field name (log.level)' });

const condition = z
  .record(z.string(), z.unknown())
  .superRefine((raw, ctx) => {
    for (const p of conditionProblems(raw)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  })
  .describe('A condition: `{ equals: { FIELD: VALUE } }`, `{ matches: { FIELD: REGEX } }` (RE2 syntax, linear time, unanchored), `{ exists: FIELD }`, `{ all: [C…] }`, `{ any: [C…] }` or `{ not: C }`; FIELD is a dotted event path (`log.level`).');

const userPattern = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'expected lowercase letters, digits and _ (it names the metric label and the mask)')
      .refine((n) => !DETECTOR_KINDS.includes(n), { message: 'the name of a built-in detector; choose another' })
      .describe('Names the finding: `[REDACTED:<name>]` and the `kind` label of the metric.'),
    regex: z
      .string()
      .min(1)
      .superRefine((re, ctx) => {
        const compiled = compileUserRegex(re);
        if (typeof compiled === 'string') ctx.addIssue({ code: 'custom', message: compiled });
      })
      .describe('A regular expression in RE2 syntax (linear-time: no backreferences or lookarounds); each match is redacted.'),
  })
  .describe('Your own pattern.');

const redact = z
  .strictObject({
    patterns: z
      .array(
        z.union([
          z.string().refine((k) => DETECTOR_KINDS.includes(k), { message: `unknown detector, expected one of ${DETECTOR_KINDS.join(', ')} or { name, regex }` }),
          userPattern,
        ]),
      )
      .min(1)
      .optional()
      .describe(`What to find: built-in detectors (${DETECTOR_KINDS.map((k) => `\`${k}\``).join(', ')}) by name and \`{ name, regex }\` of your own; default every built-in.`),
    fields: z.array(field).min(1).optional().describe('Dotted fields scanned besides `message` (and `event.original`); default every string field of the event.'),
    mode: z.enum(['mask', 'hash']).default('mask').describe('`mask`: a finding becomes `[REDACTED:<kind>]`; `hash`: `[HMAC:<kind>:<32 hex>]`, an HMAC-SHA256 keyed by `key_file`, so equal values still correlate.'),
    key_file: z.string().min(1).optional().describe('File holding the HMAC key of `mode: hash` (its bytes, a trailing newline dropped); required with `hash`.'),
  })
  .superRefine((r, ctx) => {
    if (r.mode === 'hash' && r.key_file === undefined) ctx.addIssue({ code: 'custom', path: ['key_file'], message: 'required with mode: hash' });
    if (r.mode === 'mask' && r.key_file !== undefined) ctx.addIssue({ code: 'custom', path: ['key_file'], message: 'only used with mode: hash' });
  });

const PROCESSOR_TYPES = ['drop', 'keep', 'redact', 'rename', 'remove', 'set', 'sample', 'throttle'];

/** A mapping whose entries each write a field (`set`: the key; `rename`: the value): checked by the entry's path. */
function writtenFields<V extends z.ZodType>(value: V, written: (key: string, value: z.output<V>) => string) {
  return z.record(field, value).superRefine((fields, ctx) => {
    for (const [key, v] of Object.entries(fields)) {
      const f = written(key, v);
      const owned = ENCODER_FIELDS.find((o) => f === o || f.startsWith(`${o}.`));
      if (owned !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `logship sets ${owned} on every event after the processors; choose another field` });
    }
  });
}

const processor = z
  .strictObject({
    drop: z.strictObject({ when: condition }).optional().describe('Drops the events the condition matches.'),
    keep: z.strictObject({ when: condition }).optional().describe('Keeps only the events the condition matches.'),
    redact: redact.optional().describe('Replaces secrets and personal data in `message` and other string fields, before anything is written to disk.'),
    rename: writtenFields(field, (_, to) => to).optional().describe('`{ FROM: TO }`: moves a field (an absent one is left alone; TO is overwritten).'),
    remove: z.array(field).min(1).optional().describe('Dotted fields removed from the event.'),
    set: writtenFields(z.union([z.string(), z.number(), z.boolean()]), (key) => key)
      .optional()
      .describe('`{ FIELD: VALUE }`: static values (`${VAR}` is substituted when the config loads).'),
    sample: z
      .strictObject({ rate: z.number().int().min(1).describe('Keep 1 event in this many, chosen by a hash of `event.id`: the same events on every re-read.') })
      .optional()
      .describe('Keeps a deterministic share of the events.'),
    throttle: z
      .strictObject({
        events_per_second: z.number().positive().describe('Events let through per second and per key (a burst of one second is allowed).'),
        key: field.optional().describe('Dotted field whose value keys the limit (`service.name`); default one limit for the input.'),
      })
      .optional()
      .describe('Drops what exceeds the rate, counted per key.'),
  })
  .superRefine((p, ctx) => {
    const kinds = Object.keys(p).filter((k) => p[k as keyof typeof p] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: `expected exactly one of ${PROCESSOR_TYPES.join(', ')}${kinds.length > 1 ? `, got ${kinds.join(' and ')}` : ''}` });
  });

export const processorsSchema = z
  .array(processor)
  .default([])
  .describe('Applied in order to every event after parsing and before the buffers (so redacted data never reaches disk): see docs/processors.md.');

export type ProcessorConfig = z.output<typeof processor>;
export type RedactConfig = z.output<typeof redact>;
