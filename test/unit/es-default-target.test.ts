// An Elasticsearch output with neither `index` nor `data_stream` writes where
// `data_stream: {}` writes (logs-generic-default), as other shippers have a default target.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { actionLineBytes, createTarget, type Target } from '../../outputs/elasticsearch/target.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/config.js';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { eventBatch } from '../support/records.js';

function esOutput(extra: string): ElasticsearchOutputConfig {
  const config = parseConfigText(`inputs: [{ paths: [a.log] }]\noutputs:\n  - type: elasticsearch\n    hosts: http://127.0.0.1:9200\n${extra}`, 't.yaml', {});
  return config.outputs[0] as ElasticsearchOutputConfig;
}

/** The document BulkItems sends for this one event's JSON. */
function sentDocument(target: Target, json: string): string {
  return new BulkItems(eventBatch(1, [json]), target).document(0).toString('utf8');
}

describe('elasticsearch output without index or data_stream', () => {
  it('is valid and targets logs-generic-default, exactly as data_stream: {}', () => {
    const neither = createTarget(esOutput(''));
    const empty = createTarget(esOutput('    data_stream: {}\n'));
    expect(neither.indexFor(Date.UTC(2026, 0, 1))).toBe('logs-generic-default');
    expect(neither.dataStream).toBe(true);
    expect(neither.pattern).toBe(empty.pattern);
    expect(sentDocument(neither, '{"message":"x"}')).toBe(sentDocument(empty, '{"message":"x"}'));
    expect(sentDocument(neither, '{"message":"x"}')).toBe('{"message":"x","data_stream":{"type":"logs","dataset":"generic","namespace":"default"}}');
    expect(actionLineBytes(esOutput(''))).toBe(actionLineBytes(esOutput('    data_stream: {}\n')));
  });

  it('an explicit index still wins', () => {
    expect(createTarget(esOutput('    index: app-%Y\n')).indexFor(Date.UTC(2026, 0, 1))).toBe('app-2026');
  });
});
