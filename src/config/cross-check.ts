import { checkParsing } from '../../parsers/setup.js';
import type { Problem } from './errors.js';
import { inputFields, type InputConfig } from './schema.js';

/**
 * Checks that look across keys: names unique, references resolved, an input's
 * parsing settings (parser name and options, regex, preset, time zone) usable
 * together. They run on the raw tree, whatever else failed, so one `validate`
 * names every problem: zod skips an object's refinements once one of its keys
 * fails, which hid these until the first round of fixes.
 */
export function crossCheck(data: unknown): Problem[] {
  const root = asRecord(data);
  if (!root) return [];
  const inputs = Array.isArray(root.inputs) ? root.inputs : [];
  const outputs = Array.isArray(root.outputs) ? root.outputs : [];
  const problems: Problem[] = [];

  const inputNames = new Set<string>();
  inputs.forEach((raw, i) => {
    const input = asRecord(raw);
    if (!input) return;
    const name = typeof input.name === 'string' ? input.name : `input-${i}`;
    if (inputNames.has(name)) problems.push({ path: ['inputs', i, 'name'], message: `duplicate input name "${name}"` });
    inputNames.add(name);
    for (const p of checkParsing(validPart(input))) problems.push({ path: ['inputs', i, ...p.path], message: p.message });
  });

  const outputNames = new Set<string>();
  outputs.forEach((raw, i) => {
    const output = asRecord(raw);
    if (!output) return;
    const name = typeof output.name === 'string' ? output.name : `${String(output.type)}-${i}`;
    // Compared without case: on a case-insensitive filesystem `A` and `a` would share buffers/a.
    const key = name.toLowerCase();
    if (outputNames.has(key)) problems.push({ path: ['outputs', i, 'name'], message: `duplicate output name "${name}" (names differing only in case count as one)` });
    outputNames.add(key);
    if (!Array.isArray(output.inputs)) return;
    output.inputs.forEach((ref, j) => {
      if (typeof ref === 'string' && ref !== '' && !inputNames.has(ref)) problems.push({ path: ['outputs', i, 'inputs', j], message: `no input named "${ref}"` });
    });
  });
  return problems;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The input with every key that validates on its own (defaults filled in);
 * a key that fails is left out: the schema already reported it.
 */
function validPart(input: Record<string, unknown>): InputConfig {
  const view: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(inputFields.shape)) {
    const result = schema.safeParse(input[key]);
    if (result.success && result.data !== undefined) view[key] = result.data;
  }
  return view as InputConfig;
}
