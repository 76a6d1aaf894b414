import type { FluentdDocument } from './fluentd-syntax.js';
import { applyEffect, mapFilter, type FilterEffect } from './map-filters.js';
import { mapTail } from './map-inputs.js';
import { mapOutput } from './map-outputs.js';
import { describe, leftoverNotes, unique, type Plan, type PlannedInput, type PlannedOutput } from './plan.js';
import type { Section } from './section.js';
import { fluentdMatcher } from './tag-match.js';

/**
 * Fluentd's routing, resolved per input at conversion time: an event of tag
 * T passes, in the order written, every `<filter>` of its label whose
 * pattern matches T, and stops at the first matching `<match>` (`copy` sends
 * it to each `<store>`, `relabel` moves it to another label). The outputs
 * then list the inputs that reach them.
 */

interface Scoped {
  section: Section;
  /** The `<label @NAME>` it sits in; '' for the top level. */
  label: string;
}

const SYSTEM_REASON = "logship's process settings are log.level and the server section";

export function planFluentd(doc: FluentdDocument, source: string): Plan {
  const plan: Plan = { dialect: 'fluentd', source, inputs: [], outputs: [], notes: [...doc.notes] };
  const items: Scoped[] = [];
  for (const child of doc.root.children) {
    if (child.name === 'label') for (const c of child.children) items.push({ section: c, label: child.arg.trim() });
    else if (child.name === 'system') plan.notes.push(...leftoverNotes(child, {}, SYSTEM_REASON).map((n) => `<system> ${n}`));
    else items.push({ section: child, label: '' });
  }

  const labels = new Map<PlannedInput, string>();
  for (const { section } of items.filter((i) => i.section.name === 'source')) {
    const type = section.take('@type') ?? section.take('type') ?? '';
    if (type !== 'tail') {
      plan.notes.push(`${describe(section, type)} not converted: logship reads log files (in_tail); point the application at a file or keep this source in a Fluentd`);
      continue;
    }
    const label = section.take('@label') ?? '';
    const input = mapTail(section, 'fluentd', plan.inputs.length, new Map(), plan.notes);
    if (!input) continue;
    input.name = unique(input.name, plan.inputs.map((i) => i.name));
    labels.set(input, label);
    plan.inputs.push(input);
  }

  const filters = new Map<Section, FilterEffect>();
  const outputs = new Map<Section, PlannedOutput | string>();
  const outputFor = (s: Section, plugin: string): PlannedOutput | string => {
    let out = outputs.get(s);
    if (out === undefined) {
      const mapped = mapOutput(s, plugin, 'fluentd');
      out = 'skipped' in mapped ? mapped.skipped : { config: mapped.config, notes: mapped.notes, inputs: [] };
      outputs.set(s, out);
    }
    return out;
  };

  for (const input of plan.inputs) {
    let label = labels.get(input)!;
    const seen = new Set<string>();
    let routed = false;
    // Bounded: each label is entered once (a relabel loop ends here).
    while (!seen.has(label)) {
      seen.add(label);
      const match = route(items, label, input, filters);
      if (!match) break;
      const plugin = match.peek('@type') ?? match.peek('type') ?? '';
      if (plugin === 'relabel') {
        match.take('@type');
        label = match.take('@label') ?? '';
        continue;
      }
      routed = true;
      const targets = plugin === 'copy' ? match.takeChildren('store') : [match];
      if (plugin === 'copy') match.take('@type');
      for (const t of targets) {
        const out = outputFor(t, t.peek('@type') ?? t.peek('type') ?? '');
        if (typeof out === 'string') input.notes.push(out);
        else if (!out.inputs.includes(input.name)) out.inputs.push(input.name);
      }
      break;
    }
    if (!routed) input.notes.push(`no <match> takes tag ${input.tag}: Fluentd discards these events, and no output below names this input either`);
  }

  for (const { section } of items) {
    if (section.name === 'filter' && !filters.has(section)) plan.notes.push(`${describe(section, section.peek('@type') ?? '')} not converted: no tail input's events pass it`);
    if (section.name === 'match' && !outputs.has(section) && !['relabel', 'copy'].includes(section.peek('@type') ?? '')) {
      plan.notes.push(`${describe(section, section.peek('@type') ?? '')} not converted: no tail input's events reach it`);
    }
  }
  for (const out of outputs.values()) if (typeof out !== 'string') plan.outputs.push(out);
  return plan;
}

/** Applies the filters `input` passes in `label` and returns the `<match>` that takes it. */
function route(items: Scoped[], label: string, input: PlannedInput, filters: Map<Section, FilterEffect>): Section | undefined {
  for (const { section, label: at } of items) {
    if (at !== label || !fluentdMatcher(section.arg || '**')(input.tag)) continue;
    if (section.name === 'match') return section;
    if (section.name !== 'filter') continue;
    let effect = filters.get(section);
    if (!effect) {
      effect = mapFilter(section, section.peek('@type') ?? section.peek('type') ?? '', 'fluentd', new Map());
      filters.set(section, effect);
    }
    applyEffect(input, effect, section.where);
  }
  return undefined;
}
