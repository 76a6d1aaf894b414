import { Document, isSeq, type YAMLSeq } from 'yaml';
import type { Plan } from './plan.js';

/**
 * The plan as a logship YAML config: notes that belong to no entry at the
 * top, each input's and output's notes as comments right above it. An
 * output that takes every input leaves `inputs` out (the logship default).
 */
export function emitPlan(plan: Plan): string {
  const names = plan.inputs.map((i) => i.name);
  const inputs = plan.inputs.map((i) => ({ name: i.name, ...i.config, ...(i.processors.length > 0 ? { processors: i.processors } : {}) }));
  const outputs = plan.outputs.map((o) => {
    const { type, name, ...rest } = o.config;
    const everyInput = names.length > 0 && names.every((n) => o.inputs.includes(n));
    return { type, ...(name === undefined ? {} : { name }), ...(everyInput ? {} : { inputs: o.inputs }), ...rest };
  });
  const outputNotes = plan.outputs.map((o) => o.notes);
  if (outputs.length === 0) {
    outputs.push({ type: 'stdout' });
    outputNotes.push(['no output converted: stdout stands in so the config is complete; replace it with where the events should go']);
  }

  const doc = new Document({ inputs, outputs });
  const header = [
    ` logship config converted from ${plan.source} (${plan.dialect}) by \`logship convert\`.`,
    ' Review the notes: each names a directive that was not converted, or converted with a difference.',
    ' Check the result with `logship validate --config FILE`.',
  ];
  if (plan.inputs.length === 0) header.push('', ' No tail input converted: add an input (paths of the log files) before this config can run.');
  if (plan.notes.length > 0) header.push('', ...plan.notes.map((n) => ` - ${n}`));
  doc.commentBefore = header.join('\n');
  attachNotes(doc.get('inputs', true), plan.inputs.map((i) => i.notes));
  attachNotes(doc.get('outputs', true), outputNotes);
  return doc.toString({ lineWidth: 0 });
}

function attachNotes(seq: unknown, notes: string[][]): void {
  if (!isSeq(seq)) return;
  (seq as YAMLSeq).items.forEach((item, i) => {
    const lines = notes[i] ?? [];
    if (lines.length > 0 && item && typeof item === 'object') (item as { commentBefore?: string }).commentBefore = lines.map((n) => ` ${n}`).join('\n');
  });
}
