/**
 * A dotted event path (`http.response.status_code`), split once when the
 * config is compiled. Events are nested objects (the normaliser writes ECS
 * fields that way), but a parser may leave a key that holds a dot
 * (`{"user.id": 1}` under `attributes`): a lookup that misses a segment tries
 * the rest of the path joined as one key before giving up.
 */
export type Event = Record<string, unknown>;

export class FieldPath {
  readonly segments: readonly string[];

  constructor(readonly text: string) {
    this.segments = text.split('.');
  }

  get(event: Event): unknown {
    return lookup(event, this.segments, 0);
  }

  /** Sets the value, creating the mappings on the way; false (nothing changed) when the way runs through a value that is not a mapping. */
  set(event: Event, value: unknown): boolean {
    let node = event;
    const last = this.segments.length - 1;
    for (let i = 0; i < last; i++) {
      const key = this.segments[i]!;
      const next = node[key];
      if (next === undefined) node = node[key] = {};
      else if (isMapping(next)) node = next;
      else return false;
    }
    node[this.segments[last]!] = value;
    return true;
  }

  /** Removes the field and returns its value (undefined when absent). */
  delete(event: Event): unknown {
    return remove(event, this.segments, 0);
  }
}

export function isMapping(v: unknown): v is Event {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lookup(node: Event, segs: readonly string[], from: number): unknown {
  let cur: Event = node;
  for (let i = from; i < segs.length; i++) {
    const v = cur[segs[i]!];
    if (i === segs.length - 1) return v;
    if (isMapping(v)) {
      cur = v;
      continue;
    }
    // A miss: `a.b` may be one key of its own.
    return literalKey(cur, segs, i, lookup);
  }
  return undefined;
}

function remove(node: Event, segs: readonly string[], from: number): unknown {
  let cur: Event = node;
  for (let i = from; i < segs.length; i++) {
    const key = segs[i]!;
    if (i === segs.length - 1) {
      if (!Object.hasOwn(cur, key)) return literalKey(cur, segs, i, remove);
      const v = cur[key];
      delete cur[key];
      return v;
    }
    const v = cur[key];
    if (isMapping(v)) cur = v;
    else return literalKey(cur, segs, i, remove);
  }
  return undefined;
}

/** Tries `segs[i] + '.' + segs[i+1] …` as one key, then goes on from there. */
function literalKey(node: Event, segs: readonly string[], i: number, next: (n: Event, s: readonly string[], from: number) => unknown): unknown {
  let key = segs[i]!;
  for (let j = i + 1; j < segs.length; j++) {
    key += `.${segs[j]}`;
    if (!Object.hasOwn(node, key)) continue;
    if (j === segs.length - 1) {
      if (next === remove) {
        const v = node[key];
        delete node[key];
        return v;
      }
      return node[key];
    }
    const v = node[key];
    if (isMapping(v)) return next(v, segs, j + 1);
  }
  return undefined;
}
