import { TAP_STAGES, type TapStage } from './tap-hub.js';
import type { TapRequest } from './tap-client.js';

/** Names a tap may filter by. */
export interface TapNames {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

const count = (raw: string | null, what: string): number | string => {
  if (raw === null) return Infinity;
  return /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : `${what}: expected a whole number above 0, got ${JSON.stringify(raw)}`;
};

/**
 * `/api/tap?stage=parsed&input=app&output=es&limit=10&rate=5` into a tap
 * request, or what is wrong with it (said to the client, status 400; 403 for
 * raw lines not allowed).
 */
export function parseTapRequest(query: URLSearchParams, names: TapNames, allowRaw: boolean): TapRequest | { status: number; error: string } {
  const stage = query.get('stage') ?? 'parsed';
  if (!(TAP_STAGES as readonly string[]).includes(stage)) return { status: 400, error: `stage: expected one of ${TAP_STAGES.join(', ')}, got ${JSON.stringify(stage)}` };
  if (stage === 'read' && !allowRaw) {
    return { status: 403, error: 'stage read shows raw lines before the processors redact them; set server.admin_allow_raw: true to allow it' };
  }
  const input = query.get('input') ?? undefined;
  if (input !== undefined && !names.inputs.includes(input)) return { status: 400, error: `input: no input named ${JSON.stringify(input)} (inputs: ${names.inputs.join(', ')})` };
  const output = query.get('output') ?? undefined;
  if (output !== undefined && !names.outputs.includes(output)) return { status: 400, error: `output: no output named ${JSON.stringify(output)} (outputs: ${names.outputs.join(', ')})` };
  if (output !== undefined && stage === 'read') return { status: 400, error: 'output: stage read is before the outputs; filter it by input' };
  if (input !== undefined && stage === 'shipped') return { status: 400, error: 'input: stage shipped is per output; filter it by output' };
  const limit = count(query.get('limit'), 'limit');
  if (typeof limit === 'string') return { status: 400, error: limit };
  const rate = count(query.get('rate'), 'rate');
  if (typeof rate === 'string') return { status: 400, error: rate };
  return { stage: stage as TapStage, input, output, limit, rate };
}
