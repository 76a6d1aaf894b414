const MAX_EVENTS_SHOWN = 20;

/**
 * A readable diff of two NDJSON event lists, field by field: what a user
 * needs to see when a golden file no longer matches. Empty when equal.
 */
export function diffEvents(expected: readonly string[], actual: readonly string[]): string[] {
  const out: string[] = [];
  let shown = 0;
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === a) continue;
    const ef = e === undefined ? undefined : flatten(parse(e));
    const af = a === undefined ? undefined : flatten(parse(a));
    // The same event written with another key order or spacing is the same event.
    if (ef && af && ef.size === af.size && [...ef].every(([k, v]) => af.get(k) === v)) continue;
    if (shown++ >= MAX_EVENTS_SHOWN) {
      out.push(`… and more differences (${expected.length} events expected, ${actual.length} produced)`);
      break;
    }
    if (!af) {
      out.push(`event ${i + 1}: missing; expected ${e}`);
      continue;
    }
    if (!ef) {
      out.push(`event ${i + 1}: not expected: ${a}`);
      continue;
    }
    const offset = af.get('log.offset') ?? ef.get('log.offset');
    out.push(`event ${i + 1}${offset === undefined ? '' : ` (log.offset ${offset})`}:`);
    for (const key of new Set([...ef.keys(), ...af.keys()])) {
      const ev = ef.get(key);
      const av = af.get(key);
      if (ev !== av) out.push(`  ${key}: expected ${ev ?? '(absent)'}, got ${av ?? '(absent)'}`);
    }
  }
  return out;
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return { '(not JSON)': line };
  }
}

/** Dotted paths to JSON-encoded leaf values (arrays compared whole). */
function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}
