import { LINE_PARTIAL, LINE_TRUNCATED, type LineBatch } from '../tail/line-batch.js';

/** Encoded events of one line batch, in the shape outputs take. */
export interface EncodedEvents {
  records: string[];
  times: number[];
}

/**
 * Turns lines into DESIGN §3 events and encodes each once. This is the seam
 * the parsers plug into; with `parser: plain` the line is the message and the
 * read time is the event time.
 */
export class EventBuilder {
  private readonly staticFields: Record<string, unknown>;

  constructor(fields: Record<string, unknown>, hostName: string) {
    this.staticFields = nest({ 'host.name': hostName, ...fields });
  }

  build(batch: LineBatch): EncodedEvents {
    const { texts, offsets, flags, source } = batch;
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const file = { path: source.path };
    const records = new Array<string>(texts.length);
    const times = new Array<number>(texts.length).fill(now);
    for (let i = 0; i < texts.length; i++) {
      const offset = offsets[i]!;
      const event: Record<string, unknown> = {
        '@timestamp': timestamp,
        message: texts[i],
        ...this.staticFields,
        log: { file, offset },
        event: { id: eventId(source.key, offset) },
      };
      const f = flags === null ? 0 : flags[i]!;
      if (f !== 0) event.tags = tagsFor(f);
      records[i] = JSON.stringify(event);
    }
    return { records, times };
  }
}

/** DESIGN §2: hash(file identity) + the byte offset of the event's first line, so a re-read gets the same id. */
export function eventId(key: string, offset: number): string {
  return key + offset.toString(16).padStart(12, '0');
}

function tagsFor(flags: number): string[] {
  const tags: string[] = [];
  if (flags & LINE_TRUNCATED) tags.push('truncated');
  if (flags & LINE_PARTIAL) tags.push('partial_line');
  return tags;
}

/** `{ 'service.name': 'x' }` → `{ service: { name: 'x' } }`. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(flat)) {
    const parts = dotted.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return out;
}
