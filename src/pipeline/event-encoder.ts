import type { ChainRecord } from '../../parsers/chain.js';
import type { FieldEntries, FieldSource } from '../enrich/field-source.js';
import { errorText } from '../../parsers/types.js';
import { eventId } from '../event/event-id.js';
import { RecordBatchBuilder, type RecordBatch } from '../output/record-batch.js';
import type { SourceRef } from '../tail/line-batch.js';

/**
 * The pipeline's part of an event: where it came from (`log.file.path`,
 * `log.offset`), its deterministic id, the host, the enrichment (pod metadata,
 * src/enrich/) and the input's static fields, each winning over the one
 * before and all over parsed values: the config is the authority on them.
 * Each event is serialised here, once, for every output: from here on it
 * travels as bytes (src/output/record-batch.ts).
 */
export class EventEncoder {
  private staticFields: FieldEntries;
  /** The enrichment's version the static fields were composed from. */
  private enrichmentVersion: number | undefined;

  /**
   * `unencodable` turns a record whose event JSON.stringify rejects (a user
   * parser's BigInt or cycle, a throwing toJSON, nesting too deep for the
   * stack) into a parse-failure record holding the raw text: one bad line
   * never stops the pipeline.
   */
  constructor(
    private readonly fields: Record<string, unknown>,
    private readonly hostName: string,
    private readonly unencodable: (rec: ChainRecord, reason: string) => ChainRecord,
    /** Fields that may change while running (a Downward API file rewritten): composed again only when its version moves. */
    private readonly enrichment?: FieldSource,
  ) {
    this.staticFields = this.composeStaticFields();
  }

  private composeStaticFields(): FieldEntries {
    this.enrichmentVersion = this.enrichment?.version;
    // Keyed by dotted path, so a later source replaces a value rather than setting it twice per event.
    const byPath = new Map<string, readonly [readonly string[], unknown]>();
    const add = (entries: FieldEntries) => {
      for (const entry of entries) byPath.set(entry[0].join('.'), entry);
    };
    add([[['host', 'name'], this.hostName]]);
    add(this.enrichment?.entries ?? []);
    add(Object.entries(this.fields).map(([k, v]) => [k.split('.'), v]));
    return [...byPath.values()];
  }

  /** One file's records as bytes: each event's JSON, time and id. */
  encodeBatch(recs: readonly ChainRecord[], source: SourceRef): RecordBatch {
    const builder = new RecordBatchBuilder();
    this.encodeInto(recs, source, builder);
    return builder.build();
  }

  /** Appends the records' events to `builder`: only its bytes stay alive, not the events or their JSON texts. */
  encodeInto(recs: readonly ChainRecord[], source: SourceRef, builder: RecordBatchBuilder): void {
    if (this.enrichment !== undefined && this.enrichment.version !== this.enrichmentVersion) this.staticFields = this.composeStaticFields();
    for (const rec of recs) {
      const id = eventId(source.key, rec.offset);
      let json: string;
      try {
        json = this.encode(rec, source, id);
      } catch (err) {
        json = this.encode(this.unencodable(rec, errorText(err)), source, id);
      }
      builder.addText(json, rec.time, id);
    }
  }

  private encode(rec: ChainRecord, source: SourceRef, id: string): string {
    const event = rec.event;
    const log = objectAt(event, 'log');
    log.file = { path: source.path };
    log.offset = rec.offset;
    objectAt(event, 'event').id = id;
    for (const [path, value] of this.staticFields) {
      let node = event;
      for (let i = 0; i < path.length - 1; i++) node = objectAt(node, path[i]!);
      node[path.at(-1)!] = value;
    }
    return JSON.stringify(event);
  }
}

function objectAt(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = node[key];
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  // A parsed scalar where the schema needs an object (`"log": "x"`) moves aside rather than being lost.
  if (v !== undefined) ((node.attributes ??= {}) as Record<string, unknown>)[key] = v;
  const fresh: Record<string, unknown> = {};
  node[key] = fresh;
  return fresh;
}
