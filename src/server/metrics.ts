import type { Registry } from 'prom-client';
import type { BufferStats } from '../buffer/types.js';
import type { OutputCounters } from '../output/contract.js';
import { REQUEST_SECONDS_BUCKETS, type DurationHistogram, type UploadStats } from '../output/upload-stats.js';
import type { ProcessorCounters } from '../processors/processor-list.js';
import type { TailerStats } from '../tail/tailer.js';

type InputView = { input: string; events: number; parseFailures: number; blankLines: number; droppedRecords: number; parsedBy: Record<string, number> | undefined; processors?: ProcessorCounters | undefined; tailer: TailerStats & { truncatedLines: number; filesTracked: number } };
type OutputView = { output: string; buffer: BufferStats; counters: OutputCounters };

/** The running config's hash and the reloads so far by result (src/reload/). */
export interface ConfigView {
  hash: string;
  reloads: Record<string, number>;
}

/** What the agent exposes to the metrics: read at scrape time, so the hot path keeps plain counters. */
export interface MetricsSource {
  inputs(): InputView[];
  outputs(): OutputView[];
  checkpoint(): { writeErrors: Record<string, number>; diskFull: boolean };
  config?: (() => ConfigView) | undefined;
}

/** What the status server serves at `/metrics`. */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** One metric: its name and type per Prometheus conventions (`_total` counters, units as suffixes), and how it is read. */
export type MetricDefinition = ScalarMetric | HistogramMetric;

interface ScalarMetric {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Every labelled value, read from the agent at scrape time. */
  readonly read: (source: MetricsSource) => Iterable<[Record<string, string>, number]>;
}

/** A histogram whose buckets the agent keeps (src/output/upload-stats.ts), exposed as they are at scrape time. */
interface HistogramMetric {
  readonly name: string;
  readonly type: 'histogram';
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly read: (source: MetricsSource) => Iterable<[Record<string, string>, DurationHistogram]>;
}

const perInput = (pick: (i: InputView) => number) => (s: MetricsSource) => s.inputs().map((i): [Record<string, string>, number] => [{ input: i.input }, pick(i)]);
/** One figure per input and label value: `pick` gives the input's counts by that label. */
const perInputBy = (label: string, pick: (c: ProcessorCounters) => Record<string, number>) => (s: MetricsSource) =>
  s.inputs().flatMap((i) => Object.entries(i.processors === undefined ? {} : pick(i.processors)).map(([value, n]): [Record<string, string>, number] => [{ input: i.input, [label]: value }, n]));
const perOutput = (pick: (b: BufferStats) => number) => (s: MetricsSource) => s.outputs().map((o): [Record<string, string>, number] => [{ output: o.output }, pick(o.buffer)]);
/** One figure per object-store output (S3), from its upload stats. */
const perUploads = (pick: (u: UploadStats) => number) => (s: MetricsSource) =>
  s.outputs().flatMap((o): [Record<string, string>, number][] => (o.counters.uploads === undefined ? [] : [[{ output: o.output }, pick(o.counters.uploads)]]));
const perUploadsBy = <T>(label: string, pick: (u: UploadStats) => Record<string, T>) => (s: MetricsSource) =>
  s.outputs().flatMap((o) => Object.entries(o.counters.uploads === undefined ? {} : pick(o.counters.uploads)).map(([value, n]): [Record<string, string>, T] => [{ output: o.output, [label]: value }, n]));
const oldestOpenSeconds = (u: UploadStats): number => {
  let oldest = Infinity;
  for (const o of u.open) oldest = Math.min(oldest, o.openedAt);
  return oldest === Infinity ? 0 : (Date.now() - oldest) / 1000;
};
const byOutcome = (pick: (c: OutputCounters) => Record<string, number>) => (s: MetricsSource) =>
  s.outputs().flatMap((o) => Object.entries(pick(o.counters)).map(([outcome, n]): [Record<string, string>, number] => [{ output: o.output, outcome }, n]));

/** One series, for the running config's hash: the last one's series is dropped when the hash changes. */
function configInfo(s: MetricsSource): [Record<string, string>, number][] {
  const view = s.config?.();
  return view === undefined ? [] : [[{ hash: view.hash }, 1]];
}

/** Prefix of every metric, logship's own and the process/runtime ones from prom-client (`logship_process_cpu_seconds_total`). */
export const METRIC_PREFIX = 'logship_';

/** Every logship metric, in one place (docs are generated from this list). */
export const METRICS: readonly MetricDefinition[] = [
  { name: 'logship_input_events_total', type: 'counter', help: 'Events produced by an input (after parsing and multi-line assembly).', labelNames: ['input'], read: perInput((i) => i.events) },
  { name: 'logship_input_parse_failures_total', type: 'counter', help: 'Records kept as message with the parse_failure tag.', labelNames: ['input'], read: perInput((i) => i.parseFailures) },
  {
    name: 'logship_input_parsed_records_total',
    type: 'counter',
    help: 'Records parsed by each parser of an input\'s fallback list (`parser: [json, nginx, plain]`): the first that parses wins.',
    labelNames: ['input', 'parser'],
    read: (s) => s.inputs().flatMap((i) => Object.entries(i.parsedBy ?? {}).map(([parser, n]): [Record<string, string>, number] => [{ input: i.input, parser }, n])),
  },
  { name: 'logship_input_blank_lines_total', type: 'counter', help: 'Blank or whitespace-only lines skipped.', labelNames: ['input'], read: perInput((i) => i.blankLines) },
  { name: 'logship_input_dropped_records_total', type: 'counter', help: "Records a user parser dropped by returning null.", labelNames: ['input'], read: perInput((i) => i.droppedRecords) },
  { name: 'logship_processor_dropped_events_total', type: 'counter', help: 'Events an input\'s processors dropped, by the type of the processor that dropped them (drop, keep, sample, throttle).', labelNames: ['input', 'processor'], read: perInputBy('processor', (c) => c.dropped) },
  { name: 'logship_processor_redactions_total', type: 'counter', help: 'Values replaced by a redact processor, by detector kind (email, credit_card, … or the name of your pattern).', labelNames: ['input', 'kind'], read: perInputBy('kind', (c) => c.redactions) },
  { name: 'logship_processor_throttled_events_total', type: 'counter', help: 'Events a throttle dropped, by the value of its key (the first 100 values by name, the rest as _other).', labelNames: ['input', 'key'], read: perInputBy('key', (c) => c.throttled) },
  { name: 'logship_input_lines_truncated_total', type: 'counter', help: 'Lines cut at max_line_bytes (tagged truncated).', labelNames: ['input'], read: perInput((i) => i.tailer.truncatedLines) },
  { name: 'logship_input_files_tracked', type: 'gauge', help: 'File generations currently tailed.', labelNames: ['input'], read: perInput((i) => i.tailer.filesTracked) },
  { name: 'logship_input_files_matched', type: 'gauge', help: "Regular files the input's globs matched at the last scan (0: a glob matches nothing).", labelNames: ['input'], read: perInput((i) => i.tailer.filesMatched) },
  { name: 'logship_input_rotations_total', type: 'counter', help: 'Rotations detected (rename/create, delete).', labelNames: ['input'], read: perInput((i) => i.tailer.rotations) },
  { name: 'logship_input_truncations_total', type: 'counter', help: 'Truncations detected (copytruncate, truncate).', labelNames: ['input'], read: perInput((i) => i.tailer.truncations) },
  { name: 'logship_input_truncations_with_loss_total', type: 'counter', help: 'Truncations whose unread tail was not found in a copy.', labelNames: ['input'], read: perInput((i) => i.tailer.truncationsWithLoss) },
  { name: 'logship_buffer_bytes', type: 'gauge', help: 'Bytes held in the output buffer.', labelNames: ['output'], read: perOutput((b) => b.bytes) },
  { name: 'logship_buffer_pending_events', type: 'gauge', help: 'Events in the buffer not yet acknowledged by the output.', labelNames: ['output'], read: perOutput((b) => b.pending) },
  { name: 'logship_buffer_dropped_events_total', type: 'counter', help: 'Events dropped because the buffer was full (when_full: drop_newest).', labelNames: ['output'], read: perOutput((b) => b.droppedEvents) },
  { name: 'logship_buffer_quarantined_places_total', type: 'counter', help: 'Damaged places in buffer segments moved to quarantine/.', labelNames: ['output'], read: perOutput((b) => b.quarantinedPlaces) },
  { name: 'logship_buffer_quarantined_bytes_total', type: 'counter', help: 'Bytes moved to quarantine/.', labelNames: ['output'], read: perOutput((b) => b.quarantinedBytes) },
  { name: 'logship_buffer_lost_records_total', type: 'counter', help: 'Records gone from the buffer (damaged, cut or deleted on disk), known by the gaps in ids.', labelNames: ['output'], read: perOutput((b) => b.lostRecords) },
  { name: 'logship_buffer_disk_full', type: 'gauge', help: '1 while a buffer write waits for free space (ENOSPC, EDQUOT): reading is paused.', labelNames: ['output'], read: perOutput((b) => (b.diskFull ? 1 : 0)) },
  { name: 'logship_buffer_dir_vanished_total', type: 'counter', help: 'Times the buffer directory was found deleted from outside (recreated).', labelNames: ['output'], read: perOutput((b) => b.dirVanished) },
  {
    name: 'logship_buffer_write_errors_total',
    type: 'counter',
    help: 'Failed buffer writes (each retried, never fatal), by error code.',
    labelNames: ['output', 'reason'],
    read: (s) => s.outputs().flatMap((o) => Object.entries(o.buffer.writeErrors).map(([reason, n]): [Record<string, string>, number] => [{ output: o.output, reason }, n])),
  },
  { name: 'logship_checkpoint_disk_full', type: 'gauge', help: '1 while the last checkpoint save failed for want of space (ENOSPC, EDQUOT); it is retried.', labelNames: [], read: (s) => [[{}, s.checkpoint().diskFull ? 1 : 0]] },
  {
    name: 'logship_checkpoint_write_errors_total',
    type: 'counter',
    help: 'Failed checkpoint saves (the previous checkpoint is kept and the save retried), by error code.',
    labelNames: ['reason'],
    read: (s) => Object.entries(s.checkpoint().writeErrors).map(([reason, n]): [Record<string, string>, number] => [{ reason }, n]),
  },
  { name: 'logship_output_events_total', type: 'counter', help: 'Events by what the destination did with them (indexed, duplicate, retried, dead_lettered).', labelNames: ['output', 'outcome'], read: byOutcome((c) => c.events) },
  {
    name: 'logship_config_reloads_total',
    type: 'counter',
    help: 'Config reloads (SIGHUP or config.watch) by result: success, invalid (the new config did not validate), rolled_back (it failed to start), rejected (a key that needs a restart).',
    labelNames: ['result'],
    read: (s) => Object.entries(s.config?.().reloads ?? {}).map(([result, n]): [Record<string, string>, number] => [{ result }, n]),
  },
  { name: 'logship_config_info', type: 'gauge', help: 'Always 1; `hash` is the first 16 hex digits of the SHA-256 of the running config file.', labelNames: ['hash'], read: configInfo },
  { name: 'logship_output_requests_total', type: 'counter', help: 'Requests to the destination by outcome (sent, failed, split).', labelNames: ['output', 'outcome'], read: byOutcome((c) => c.requests) },
  { name: 'logship_output_objects_uploaded_total', type: 'counter', help: 'S3 objects whose upload completed (PutObject or CompleteMultipartUpload).', labelNames: ['output'], read: perUploads((u) => u.objects) },
  { name: 'logship_output_uploaded_bytes_total', type: 'counter', help: 'Bytes of the S3 objects uploaded, as stored (after compression).', labelNames: ['output'], read: perUploads((u) => u.bytes) },
  { name: 'logship_output_uploaded_raw_bytes_total', type: 'counter', help: 'Bytes of the S3 objects uploaded before compression (their NDJSON): with uploaded_bytes_total, the compression ratio.', labelNames: ['output'], read: perUploads((u) => u.rawBytes) },
  { name: 'logship_output_upload_parts_total', type: 'counter', help: 'Multipart upload parts uploaded.', labelNames: ['output'], read: perUploads((u) => u.parts) },
  { name: 'logship_output_upload_failures_total', type: 'counter', help: 'Failed S3 requests by reason (NoSuchBucket, AccessDenied, SlowDown, ECONNREFUSED, …); each is retried from the buffer.', labelNames: ['output', 'reason'], read: perUploadsBy('reason', (u) => u.failures) },
  { name: 'logship_output_open_objects', type: 'gauge', help: 'S3 objects open (receiving events, not uploaded yet).', labelNames: ['output'], read: perUploads((u) => u.open.size) },
  { name: 'logship_output_oldest_open_object_age_seconds', type: 'gauge', help: 'Age of the oldest open S3 object (0 when none): its events wait in the buffer until it is uploaded.', labelNames: ['output'], read: perUploads(oldestOpenSeconds) },
  { name: 'logship_output_upload_request_duration_seconds', type: 'histogram', help: 'Duration of S3 requests by request (PutObject, UploadPart, CompleteMultipartUpload, …), failed ones included.', labelNames: ['output', 'request'], buckets: REQUEST_SECONDS_BUCKETS, read: perUploadsBy('request', (u) => u.durations) },
];

/**
 * Prometheus metrics. Each is computed from the agent's own counters when
 * scraped (prom-client's `collect`), not incremented per event; a counter is
 * still exposed as a counter: collect() resets it and adds the current total.
 */
export function createMetrics(source: MetricsSource): MetricsRegistry {
  // prom-client costs 2–7 MiB of idle RSS, so only a daemon with a status
  // server loads it. It loads now rather than at the first scrape: the
  // runtime metrics (GC durations, event-loop lag) count from the start.
  const registry = import('prom-client').then((client) => buildRegistry(client, source));
  return { contentType: PROMETHEUS_TEXT, metrics: async () => (await registry).metrics() };
}

/** prom-client's `Registry.PROMETHEUS_CONTENT_TYPE`, known before the module is loaded. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function buildRegistry({ Counter, Gauge, Registry, collectDefaultMetrics }: typeof import('prom-client'), source: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  // prom-client exposes these sums as gauges named `_total`, which Prometheus reads as counters;
  // the per-type gauges (`…_active_handles{type}` and the like) hold the same figures.
  for (const name of ['nodejs_active_resources_total', 'nodejs_active_handles_total', 'nodejs_active_requests_total']) registry.removeSingleMetric(METRIC_PREFIX + name);
  for (const def of METRICS) {
    if (def.type === 'histogram') {
      registry.registerMetric(histogramFrom(def, source) as never);
      continue;
    }
    const common = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] };
    if (def.type === 'counter') {
      new Counter({
        ...common,
        collect() {
          this.reset();
          for (const [labels, value] of def.read(source)) this.inc(labels, value);
        },
      });
    } else {
      new Gauge({
        ...common,
        collect() {
          // A label value gone since the last scrape (an output removed by a reload, an old config hash) is not shown again.
          this.reset();
          for (const [labels, value] of def.read(source)) this.set(labels, value);
        },
      });
    }
  }
  return registry;
}

/**
 * A histogram read from buckets the agent keeps: prom-client's Histogram can
 * only observe values, so this is the registry's metric interface itself.
 */
function histogramFrom(def: HistogramMetric, source: MetricsSource) {
  const get = () => {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [labels, h] of def.read(source)) {
      let cumulative = 0;
      def.buckets.forEach((le, b) => {
        cumulative += h.counts[b]!;
        values.push({ metricName: `${def.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${def.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${def.name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${def.name}_count`, labels, value: h.count });
    }
    return { name: def.name, help: def.help, type: 'histogram', aggregator: 'sum', values };
  };
  return { name: def.name, help: def.help, type: 'histogram', aggregator: 'sum', labelNames: def.labelNames, get: async () => get(), reset: () => {} };
}
