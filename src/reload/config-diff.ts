import type { NamedOutputConfig } from '../../outputs/registry.js';
import type { ResolvedConfig } from '../config/load.js';
import type { InputConfig } from '../config/schema.js';

/** What a reload changes, by name: only these parts are rebuilt; everything else keeps running untouched. */
export interface ReloadPlan {
  readonly inputs: Changes<InputConfig>;
  readonly outputs: Changes<NamedOutputConfig>;
}

export interface Changes<T> {
  readonly added: T[];
  /** The new config of each changed part (the old one stays in the running config until it is replaced). */
  readonly changed: T[];
  readonly removed: string[];
  readonly unchanged: string[];
}

/**
 * Compares the running config with a new one. An output's `inputs` list is
 * routing, not the output: changing it moves events without touching the
 * output's buffer or connections. An output whose own keys or effective buffer
 * settings changed is rebuilt. Returns problems (by config path) for keys a
 * running agent cannot take over: those need a restart.
 */
export function planReload(running: ResolvedConfig, next: ResolvedConfig): ReloadPlan | string[] {
  const problems: string[] = [];
  if (running.buffer.path !== next.buffer.path) problems.push(`buffer.path: the state directory cannot change on reload (${running.buffer.path} → ${next.buffer.path}); restart logship to move it`);
  if (!sameValue(running.server, next.server)) problems.push('server: the status server cannot change on reload; restart logship to apply it');
  if (!sameValue(running.pipeline, next.pipeline)) problems.push('pipeline: the parse workers cannot change on reload; restart logship to apply it');
  if (problems.length > 0) return problems;
  return {
    inputs: diff(running, next, (c) => c.inputs, (input) => input),
    outputs: diff(running, next, (c) => c.outputs, laneIdentity),
  };
}

/** What an output's lane is built from: its keys but `inputs`, and the buffer defaults it inherits. */
function laneIdentity(output: NamedOutputConfig, config: ResolvedConfig): unknown {
  const { inputs: _routing, ...own } = output;
  const { path: _path, ...defaults } = config.buffer;
  return { own, defaults };
}

function diff<T extends { name: string }>(running: ResolvedConfig, next: ResolvedConfig, parts: (c: ResolvedConfig) => readonly T[], identity: (part: T, config: ResolvedConfig) => unknown): Changes<T> {
  const old = new Map(parts(running).map((p) => [p.name, p]));
  const changes: Changes<T> = { added: [], changed: [], removed: [], unchanged: [] };
  for (const part of parts(next)) {
    const was = old.get(part.name);
    if (was === undefined) changes.added.push(part);
    else if (sameValue(identity(was, running), identity(part, next))) changes.unchanged.push(part.name);
    else changes.changed.push(part);
  }
  const names = new Set(parts(next).map((p) => p.name));
  for (const part of parts(running)) if (!names.has(part.name)) changes.removed.push(part.name);
  return changes;
}

/** Deep equality of parsed config values (plain data: objects, arrays, scalars), key order ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}
