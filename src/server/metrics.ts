import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BufferStats } from '../buffer/types.js';
import type { OutputCounters } from '../../outputs/types.js';
import type { TailerStats } from '../tail/tailer.js';

/** What the agent exposes to the metrics: read at scrape time, so the hot path keeps plain counters. */
export interface MetricsSource {
  inputs(): { input: string; events: number; parseFailures: number; tailer: TailerStats & { truncatedLines: number; filesTracked: number } }[];
  outputs(): { output: string; buffer: BufferStats; counters: OutputCounters }[];
}

/**
 * Prometheus metrics. Each is computed from the agent's own counters when
 * scraped (prom-client's `collect`), not incremented per event.
 */
export function createMetrics(source: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'logship_process_' });
  const perInput = (name: string, help: string, pick: (i: ReturnType<MetricsSource['inputs']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['input'],
      registers: [registry],
      collect() {
        for (const i of source.inputs()) this.set({ input: i.input }, pick(i));
      },
    });
  const perOutput = (name: string, help: string, pick: (b: BufferStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['output'],
      registers: [registry],
      collect() {
        for (const o of source.outputs()) this.set({ output: o.output }, pick(o.buffer));
      },
    });
  perInput('logship_input_events_total', 'Events produced by an input (after parsing and multi-line assembly).', (i) => i.events);
  perInput('logship_input_parse_failures_total', 'Records kept as message with the parse_failure tag.', (i) => i.parseFailures);
  perInput('logship_input_lines_truncated_total', 'Lines cut at max_line_bytes (tagged truncated).', (i) => i.tailer.truncatedLines);
  perInput('logship_input_files_tracked', 'File generations currently tailed.', (i) => i.tailer.filesTracked);
  perInput('logship_input_files_matched', 'Regular files the input\'s globs matched at the last scan (0: a glob matches nothing).', (i) => i.tailer.filesMatched);
  perInput('logship_input_rotations_total', 'Rotations detected (rename/create, delete).', (i) => i.tailer.rotations);
  perInput('logship_input_truncations_total', 'Truncations detected (copytruncate, truncate).', (i) => i.tailer.truncations);
  perInput('logship_input_truncations_with_loss_total', 'Truncations whose unread tail was not found in a copy.', (i) => i.tailer.truncationsWithLoss);
  perOutput('logship_buffer_bytes', 'Bytes held in the output buffer.', (b) => b.bytes);
  perOutput('logship_buffer_pending_events', 'Events in the buffer not yet acknowledged by the output.', (b) => b.pending);
  perOutput('logship_buffer_dropped_events_total', 'Events dropped because the buffer was full (when_full: drop_newest).', (b) => b.droppedEvents);
  perOutput('logship_buffer_quarantined_records_total', 'Damaged places in buffer segments moved to quarantine/.', (b) => b.quarantinedRecords);
  perOutput('logship_buffer_quarantined_bytes_total', 'Bytes moved to quarantine/.', (b) => b.quarantinedBytes);
  const byOutcome = (name: string, help: string, pick: (c: OutputCounters) => Record<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames: ['output', 'outcome'],
      registers: [registry],
      collect() {
        for (const o of source.outputs()) for (const [outcome, n] of Object.entries(pick(o.counters))) this.set({ output: o.output, outcome }, n);
      },
    });
  byOutcome('logship_output_events_total', 'Events by what the destination did with them (indexed, duplicate, retried, dead_lettered).', (c) => c.events);
  byOutcome('logship_output_requests_total', 'Requests to the destination by outcome (sent, failed, split).', (c) => c.requests);
  perOutput('logship_buffer_lost_records_total', 'Records of a segment cut short on disk, known by the gap in ids.', (b) => b.lostRecords);
  return registry;
}
