import { parentPort } from 'node:worker_threads';
import { errorText } from '../../parsers/types.js';
import { ParseStage, type StageGroup } from './parse-stage.js';
import { toWire, type EnrichmentState, type StageReply, type StageRequest, type WireSource } from './stage-protocol.js';

/**
 * A parse worker's thread: the ParseStages of the inputs given to it, fed in
 * order by their WorkerStages (src/pipeline/worker-stage.ts). Each answer
 * carries the encoded groups (their buffers moved to the main thread) and
 * the stage's counters.
 */
interface HostedStage {
  /** Undefined until `open` built it. */
  stage: ParseStage<WireSource> | undefined;
  readonly sources: Map<number, WireSource>;
  /** Sources the tailer closed that still hold lines in a pending event: forgotten once they do not. */
  readonly closing: Set<number>;
  /** What the encoder reads for pod metadata; updated in place when a request brings a newer version. */
  readonly enrichment: { version: number; entries: EnrichmentState['entries'] };
}

const port = parentPort!;
const stages = new Map<number, HostedStage>();

function reply(message: StageReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function sourceOf(hosted: HostedStage, wire: WireSource): WireSource {
  let s = hosted.sources.get(wire.id);
  if (s === undefined) hosted.sources.set(wire.id, (s = { id: wire.id, path: wire.path, key: wire.key }));
  return s;
}

/** Closed sources with nothing pending any more leave both sides' maps. */
function released(hosted: HostedStage): number[] {
  const ids: number[] = [];
  for (const id of hosted.closing) {
    const source = hosted.sources.get(id);
    if (source !== undefined && hosted.stage!.holds(source)) continue;
    hosted.closing.delete(id);
    hosted.sources.delete(id);
    ids.push(id);
  }
  return ids;
}

function answer(stage: number, hosted: HostedStage, groups: StageGroup<WireSource>[]): void {
  const wires = [];
  const transfer: ArrayBuffer[] = [];
  for (const g of groups) {
    const w = toWire(g);
    wires.push(w.wire);
    transfer.push(...w.transfer);
  }
  reply({ stage, ok: true, groups: wires, counters: hosted.stage!.counters(), released: released(hosted) }, transfer);
}

async function handle(msg: StageRequest): Promise<void> {
  if (msg.op === 'open') {
    const hosted: HostedStage = { stage: undefined, sources: new Map(), closing: new Set(), enrichment: { version: -1, entries: [] } };
    if (msg.enrichment) Object.assign(hosted.enrichment, msg.enrichment);
    stages.set(msg.stage, hosted);
    hosted.stage = await ParseStage.build<WireSource>(msg.input, msg.host, msg.enrichment ? hosted.enrichment : undefined);
    reply({ stage: msg.stage, ok: true, groups: [], counters: hosted.stage.counters(), released: [] });
    return;
  }
  const hosted = stages.get(msg.stage);
  if (hosted?.stage === undefined) throw new Error(`no parse stage ${msg.stage} in this worker`);
  if (msg.enrichment) Object.assign(hosted.enrichment, msg.enrichment);
  switch (msg.op) {
    case 'lines':
      return answer(msg.stage, hosted, hosted.stage.lines({ source: sourceOf(hosted, msg.source), texts: msg.texts, offsets: msg.offsets, flags: msg.flags, endOffset: msg.endOffset }, msg.now));
    case 'tick':
      return answer(msg.stage, hosted, hosted.stage.tick(msg.now));
    case 'flush':
      return answer(msg.stage, hosted, hosted.stage.flushAll(msg.now));
    case 'closed':
      hosted.closing.add(msg.source);
      return;
    case 'drop':
      stages.delete(msg.stage);
      return;
  }
}

// Requests are handled one at a time, in order: only `open` awaits (a user parser module loading), and nothing may overtake it.
let queue = Promise.resolve();
port.on('message', (msg: StageRequest) => {
  queue = queue.then(() =>
    handle(msg).catch((err: unknown) => {
      if (msg.op === 'open') stages.delete(msg.stage);
      if (msg.op !== 'closed' && msg.op !== 'drop') reply({ stage: msg.stage, ok: false, error: errorText(err) });
    }),
  );
});
