import { BEGIN, FIRST_TRACE_STATE, IDLE, LINE, MAX_PRESET_STATE, STATE_MASK, type MultilinePreset } from './rules.js';

// Several presets on one stream (`preset: [java, go]`, as Fluent Bit's
// `multiline.parser java,go`): outside a trace every preset is asked, in the
// order given, and the first that starts a trace owns the stream until its
// trace ends. The line that ends it may still continue the event for another
// preset that reads what came before as the line its trace belongs to (PHP's
// `Stack trace:` after `PHP Fatal error:  Uncaught X: msg`, which the java
// preset took for a header); otherwise it is asked of every preset again, so
// it may start the next trace of any of them.
//
// One state byte holds both: the shared states IDLE and LINE as they are, a
// trace state `s` of the k-th preset as `(k + 1) << 4 | s` (room for 15 presets).

const SHIFT = 4;
const FLAGS = ~STATE_MASK;

export function combinePresets(presets: readonly MultilinePreset[]): MultilinePreset {
  if (presets.length === 1) return presets[0]!;

  const wrap = (k: number, d: number): number => {
    const s = d & STATE_MASK;
    return s < FIRST_TRACE_STATE ? d : (d & FLAGS) | ((k + 1) << SHIFT) | s;
  };

  /** Every preset from the shared state `s`: the first that enters a trace wins, else the first preset's answer. */
  const fresh = (line: string, s: number): number => {
    let first = -1;
    for (let k = 0; k < presets.length; k++) {
      const d = presets[k]!.step(line, s);
      if ((d & STATE_MASK) >= FIRST_TRACE_STATE) return wrap(k, d);
      if (k === 0) first = d;
    }
    return first;
  };

  return {
    name: presets.map((p) => p.name).join(','),
    description: `any of ${presets.map((p) => p.name).join(', ')}`,
    step(line, s) {
      if (s < FIRST_TRACE_STATE) return fresh(line, s);
      const k = (s >> SHIFT) - 1;
      const d = presets[k]!.step(line, s & MAX_PRESET_STATE);
      if ((d & BEGIN) === 0) return wrap(k, d);
      for (let j = 0; j < presets.length; j++) {
        if (j === k) continue;
        const other = presets[j]!.step(line, LINE);
        if ((other & BEGIN) === 0 && (other & STATE_MASK) >= FIRST_TRACE_STATE) return wrap(j, other);
      }
      return BEGIN | fresh(line, IDLE);
    },
    extractError(text, s) {
      const k = (s >> SHIFT) - 1;
      return presets[k]?.extractError(text, s & MAX_PRESET_STATE);
    },
  };
}
