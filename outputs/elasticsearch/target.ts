import { EVENT_ID_LENGTH } from '../../src/event/event-id.js';
import { compileNameTemplate, MAX_VALUE_LENGTH } from '../../src/output/name-template.js';
import type { RecordBatch } from '../../src/output/record-batch.js';
import { timeOrNow } from '../../src/util/event-time.js';
import type { ElasticsearchOutputConfig } from './config.js';

/** The config keys the target is made from (`name` and `inputs` for the `{output}` and `{input}` placeholders). */
export type TargetConfig = Pick<ElasticsearchOutputConfig, 'index' | 'data_stream'> & { readonly name?: string; readonly inputs?: readonly string[] | undefined };

/** Where each event goes: an index named from its @timestamp (and fields, src/output/name-template.ts), or one data stream. */
export interface Target {
  /**
   * The index (or data stream) for record `i` of `batch`, whose @timestamp is
   * `time` (epoch ms); without a batch, event fields render as their defaults.
   */
  indexFor(time: number, batch?: RecordBatch, i?: number): string;
  /** An index pattern covering every name `indexFor` can produce (for the index template). */
  readonly pattern: string;
  readonly dataStream: boolean;
  /** How many event fields the index name reads (each renders as at most MAX_VALUE_LENGTH characters). */
  readonly fields: number;
  /**
   * For a data stream, `"data_stream":{type,dataset,namespace}`: added to each
   * document (as Elastic's own shippers do) unless the event has a data_stream field.
   */
  readonly dataStreamFields: Buffer | undefined;
}

/**
 * What each document adds to a bulk body besides its JSON: the action line,
 * two newlines and, for a data stream, its fields. The delivery loop counts it
 * against batch.max_bytes, so one batch from the buffer is one request of
 * about that size.
 */
export function actionLineBytes(config: TargetConfig): number {
  const target = createTarget(config);
  const added = target.dataStreamFields === undefined ? 0 : target.dataStreamFields.length + 1;
  // A field of the index name may render longer than its default in the sample: count each at its longest.
  const fieldAllowance = target.fields * MAX_VALUE_LENGTH;
  // The document's own newline is in its record already.
  return `{"create":{"_index":${JSON.stringify(target.indexFor(Date.UTC(2024, 0, 1)))},"_id":""}}`.length + EVENT_ID_LENGTH + 1 + added + fieldAllowance;
}

/** Where an output with neither `index` nor `data_stream` writes: Elastic's own default, as `data_stream: {}`. */
export const DEFAULT_DATA_STREAM = { type: 'logs', dataset: 'generic', namespace: 'default' } as const;

export function createTarget(config: TargetConfig): Target {
  const dataStream = config.data_stream ?? (config.index === undefined ? DEFAULT_DATA_STREAM : undefined);
  if (dataStream) {
    const { type, dataset, namespace } = dataStream;
    const name = `${type}-${dataset}-${namespace}`;
    return {
      indexFor: () => name,
      pattern: name,
      dataStream: true,
      fields: 0,
      dataStreamFields: Buffer.from(`"data_stream":${JSON.stringify({ type, dataset, namespace })}`),
    };
  }
  const template = compileNameTemplate(config.index!, { kind: 'index', output: config.name ?? 'elasticsearch', inputs: config.inputs });
  return {
    // An event without a usable time is filed under now rather than under "NaN".
    indexFor: (time, batch, i) => template.render(timeOrNow(time, Date.now), batch, i),
    pattern: template.glob,
    dataStream: false,
    fields: template.fields.length,
    dataStreamFields: undefined,
  };
}
