import { COMMON_REASONS, describe, leftoverNotes, paramNote, type Dialect } from './plan.js';
import type { Param, Section } from './section.js';
import { bool, duration, fromEnv, size, sizeBytes, withoutPlaceholders } from './values.js';
import { safeName } from './map-inputs.js';

/**
 * Outputs: Elasticsearch, OpenSearch, S3, stdout and file, with the buffer
 * and flush settings that have a logship counterpart (Fluentd's `<buffer>`,
 * Fluent Bit's output options). Anything else is a note.
 */
export interface MappedOutput {
  config: Record<string, unknown>;
  notes: string[];
}

const NOT_MAPPED: Record<string, string> = {
  forward: 'logship ships to Elasticsearch, OpenSearch, S3, files or stdout, not to another Fluentd/Fluent Bit',
  kafka: 'logship has no Kafka output',
  kafka2: 'logship has no Kafka output',
  cloudwatch_logs: 'logship has no CloudWatch Logs output',
  kinesis_firehose: 'logship has no Firehose output',
  kinesis_streams: 'logship has no Kinesis output',
  loki: 'logship has no Loki output',
  http: 'logship has no generic HTTP output',
  splunk: 'logship has no Splunk output',
  datadog: 'logship has no Datadog output',
  null: 'events routed here are discarded; in logship leave the input out of every output instead',
  relabel: 'handled by routing',
};

const OUTPUT_REASONS: Record<string, string> = {
  ...COMMON_REASONS,
  match: 'used for routing (outputs[].inputs)',
  include_tag_key: 'logship events carry no tag; the input name is not added',
  tag_key: 'logship events carry no tag; the input name is not added',
  type_name: 'logship never sends a type (Elasticsearch 8 and OpenSearch 2 reject it)',
  type: 'logship never sends a type (Elasticsearch 8 and OpenSearch 2 reject it)',
  suppress_type_name: 'logship never sends a type',
  generate_id: 'logship always sends its own event.id as _id, so a retry is never indexed twice',
  id_key: 'logship always sends its own event.id as _id',
  replace_dots: 'logship writes ECS objects, not dotted keys',
  trace_output: 'a debugging option',
  trace_error: 'a debugging option',
  retry_limit: 'logship retries without a count limit; retry.max_duration bounds the time instead',
  buffer_size: 'logship reads the whole response',
  reconnect_on_error: 'logship reconnects on every error',
  reload_connections: 'logship spreads requests over hosts and retries another on failure',
  reload_on_failure: 'logship spreads requests over hosts and retries another on failure',
  log_es_400_reason: 'logship logs and dead-letters every refused event with its reason',
  time_key: 'logship sends @timestamp',
  time_key_format: 'logship sends @timestamp',
  utc_index: 'logship fills index dates in UTC',
  include_timestamp: 'logship always sends @timestamp',
  store_dir: "logship keeps each output's data in its own disk buffer under buffer.path",
  net: 'logship sets its own network options',
  use_put_object: 'logship uploads small objects in one request and large ones in parts (part_size)',
  workers: 'this logship output has no concurrency setting',
  file: 'logship names the objects it writes (<creation stamp>-<n>.ndjson)',
  aws_role_arn: 'logship uses the AWS SDK default credential chain (a profile with role_arn, or AWS_ROLE_ARN with web identity)',
  aws_service_name: "set by the OpenSearch output's AWS settings",
  aws_sts_endpoint: 'logship uses the AWS SDK default credential chain',
  ssl_version: "logship negotiates TLS with Node's defaults",
  time_slice_format: 'logship names objects <prefix><writer id>-<first event id>; put date parts in prefix',
  check_object: 'logship never overwrites an object (each name is unique)',
  check_bucket: 'the bucket must exist; logship does not create it',
  auto_create_bucket: 'the bucket must exist; logship does not create it',
  append: 'logship appends to its open object and starts a new one by size and age (object.*)',
  format: 'logship writes its events (ECS JSON) as NDJSON',
  '<format>': 'logship writes its events (ECS JSON) as NDJSON',
  '<secondary>': 'logship keeps failed events in its buffer and retries; refused ones go to the dead-letter file',
  '<inject>': 'logship events carry @timestamp; no tag or hostname is injected',
};

export function mapOutput(section: Section, plugin: string, dialect: Dialect): MappedOutput | { skipped: string } {
  const notes: string[] = [];
  const config: Record<string, unknown> = {};
  section.take(dialect === 'fluentd' ? '@type' : 'name');
  section.take('match');
  section.take('match_regex');
  const name = section.take('@id') ?? section.take('alias');
  switch (plugin) {
    case 'elasticsearch':
    case 'es':
    case 'elasticsearch_data_stream':
    case 'opensearch':
    case 'opensearch_data_stream':
      searchOutput(section, plugin, dialect, config, notes);
      break;
    case 's3':
      if (dialect === 'fluentd') fluentdS3(section, config, notes);
      else fluentBitS3(section, config, notes);
      break;
    case 'stdout':
      config.type = 'stdout';
      break;
    case 'file': {
      config.type = 'file';
      const path = section.take('path') ?? '.';
      // Fluentd's path is a file name prefix; Fluent Bit's is a directory (with File naming the file).
      config.path = dialect === 'fluentd' ? path.replace(/\/[^/]*$/, '') || '.' : path;
      if (dialect === 'fluentd') notes.push(`path ${path}: logship writes objects named <creation stamp>-<n>.ndjson into the directory ${config.path as string}`);
      const compress = section.take('compress');
      if (compress === 'gzip' || bool(compress) === true) config.compression = 'gzip';
      break;
    }
    default:
      return { skipped: `${describe(section, plugin)} not converted: ${NOT_MAPPED[plugin] ?? `logship has no ${plugin} output`}` };
  }
  if (name !== undefined) config.name = safeName(name, `${String(config.type)}-out`);
  if (dialect === 'fluentd') for (const buffer of section.takeChildren('buffer')) fluentdBuffer(buffer, config, notes);
  else fluentBitLimits(section, config, notes);
  notes.push(...leftoverNotes(section, OUTPUT_REASONS, `no logship ${String(config.type)} option matches it`));
  return { config: ordered(config), notes };
}

/** Elasticsearch and OpenSearch: hosts, index or data stream, auth, TLS. */
function searchOutput(section: Section, plugin: string, dialect: Dialect, c: Record<string, unknown>, notes: string[]): void {
  const aws = bool(section.take('aws_auth')) === true;
  const opensearch = plugin.startsWith('opensearch') || aws;
  c.type = opensearch ? 'opensearch' : 'elasticsearch';
  if (opensearch) {
    notes.push('type: opensearch is the OpenSearch output (issue 15); a logship build without it rejects this entry in `logship validate` — use type: elasticsearch for a self-managed OpenSearch until then');
  }
  if (aws) {
    const region = section.take('aws_region');
    notes.push(`AWS_Auth On (SigV4${region ? `, region ${region}` : ''}): sign with the OpenSearch output's AWS settings (docs/outputs/opensearch.md) using the default AWS credential chain`);
  }
  const tls = bool(section.take('tls'));
  const scheme = section.take('scheme') ?? (tls ? 'https' : 'http');
  const host = section.take('host') ?? (dialect === 'fluentd' ? 'localhost' : '127.0.0.1');
  const port = section.take('port') ?? '9200';
  const path = (section.take('path') ?? '').replace(/\/+$/, '');
  const hosts = section.take('hosts');
  if (hosts !== undefined) {
    c.hosts = hosts.split(',').map((h) => h.trim()).filter(Boolean).map((h) => (/^https?:\/\//.test(h) ? h : `${scheme}://${h.includes(':') ? h : `${h}:${port}`}`));
  } else c.hosts = `${scheme}://${host}:${port}${path}`;
  if (section.take('cloud_id') !== undefined) notes.push('Cloud_ID not converted: give the deployment\'s Elasticsearch endpoint URL in hosts');

  // Index: a fixed name, Logstash's dated one, or a data stream.
  const logstash = bool(section.take('logstash_format'));
  const prefix = section.take('logstash_prefix') ?? 'logstash';
  const separator = section.take('logstash_prefix_separator') ?? '-';
  const dateFormat = section.take('logstash_dateformat') ?? '%Y.%m.%d';
  const index = section.take('index_name') ?? section.take('index');
  const stream = section.take('data_stream_name');
  if (stream !== undefined) {
    const parts = /^(logs|metrics|traces)-([^-]+)-([^-]+)$/.exec(stream);
    if (parts) c.data_stream = { type: parts[1], dataset: parts[2], namespace: parts[3] };
    else notes.push(`data_stream_name ${stream} not converted: logship's data stream names are <type>-<dataset>-<namespace>; the default logs-generic-default is used`);
  } else if (logstash) c.index = `${prefix}${separator}${dateFormat}`;
  else if (index !== undefined) {
    const fixed = withoutPlaceholders(index);
    c.index = fixed.value || (dialect === 'fluentd' ? 'fluentd' : 'fluent-bit');
    if (fixed.removed) notes.push(`index ${index}: its per-event placeholders are left out (${String(c.index)}); logship names the index from @timestamp only`);
  } else c.index = dialect === 'fluentd' ? 'fluentd' : 'fluent-bit';

  const user = section.take('user') ?? section.take('http_user');
  const password = section.take('password') ?? section.take('http_passwd');
  const apiKey = section.take('api_key');
  if (apiKey !== undefined) c.auth = { api_key: apiKey };
  else if (user !== undefined) {
    c.auth = { username: user, password: password ?? '' };
    if (password !== undefined && !fromEnv(password)) notes.push('the password is written inline as in the original: prefer password_file or ${ENV_VAR}');
  }
  const t: Record<string, unknown> = {};
  const verify = bool(section.take('ssl_verify') ?? section.take('tls.verify') ?? '');
  if (verify === false) t.verify = false;
  const ca = section.take('ca_file') ?? section.take('tls.ca_file');
  if (ca !== undefined) t.ca_file = ca;
  const cert = section.take('client_cert') ?? section.take('tls.crt_file');
  const key = section.take('client_key') ?? section.take('tls.key_file');
  if (cert !== undefined) t.cert_file = cert;
  if (key !== undefined) t.key_file = key;
  const sni = section.take('tls.vhost');
  if (sni !== undefined) t.server_name = sni;
  if (Object.keys(t).length > 0) c.tls = t;
  const compress = section.take('compress') ?? section.take('compression_level');
  if (compress !== undefined) c.compression = /gzip|best|default|\d/.test(compress) ? 'gzip' : 'none';
  const timeout = section.take('request_timeout');
  if (timeout !== undefined) setDuration(c, 'request_timeout', timeout, section.where, notes);
  const bulkBytes = section.take('bulk_message_request_threshold');
  if (bulkBytes !== undefined) setBatchBytes(c, bulkBytes, notes);
  const workers = section.takeParam('workers');
  if (workers && /^\d+$/.test(workers.value)) c.concurrency = Math.min(64, Math.max(1, Number(workers.value)));
  else if (workers) notes.push(paramNote(workers, 'not a number'));
}

/** Fluentd out_s3: bucket, region, endpoint, prefix (`path`), compression (`store_as`), encryption. */
function fluentdS3(section: Section, c: Record<string, unknown>, notes: string[]): void {
  c.type = 's3';
  c.bucket = section.take('s3_bucket') ?? '';
  const region = section.take('s3_region');
  if (region !== undefined) c.region = region;
  const endpoint = section.take('s3_endpoint');
  if (endpoint !== undefined) c.endpoint = endpoint;
  if (bool(section.take('force_path_style'))) c.force_path_style = true;
  const path = section.take('path');
  if (path !== undefined) {
    const fixed = withoutPlaceholders(path.replace(/^\/+/, ''));
    if (fixed.value !== '') c.prefix = fixed.value.endsWith('/') ? fixed.value : `${fixed.value}/`;
    if (fixed.removed) notes.push(`path ${path}: its per-event placeholders are left out of the prefix`);
  }
  const keyFormat = section.take('s3_object_key_format');
  if (keyFormat !== undefined) notes.push(`s3_object_key_format ${keyFormat} not converted: logship names objects <prefix><writer id>-<first event id>.ndjson.gz (docs/outputs/s3.md)`);
  const store = section.take('store_as') ?? 'gzip';
  c.compression = store === 'gzip' ? 'gzip' : 'none';
  if (!['gzip', 'json', 'text'].includes(store)) notes.push(`store_as ${store} not converted: logship writes NDJSON, gzip or not`);
  const sse = section.take('use_server_side_encryption');
  if (sse !== undefined) c.server_side_encryption = sse;
  const kms = section.take('ssekms_key_id');
  if (kms !== undefined) c.kms_key_id = kms;
  const cls = section.take('storage_class');
  if (cls !== undefined) c.storage_class = cls;
  for (const k of ['aws_key_id', 'aws_sec_key']) {
    if (section.take(k) !== undefined) notes.push(`${k} not converted: logship reads static keys from files (credentials.access_key_id_file, secret_access_key_file) or uses the AWS default chain`);
  }
  for (const child of section.takeChildren('assume_role_credentials').concat(section.takeChildren('instance_profile_credentials'), section.takeChildren('web_identity_credentials'))) {
    notes.push(`<${child.name}> (${child.where}): logship uses the AWS SDK default chain (environment, profile, web identity, container and instance credentials)`);
  }
}

/** Fluent Bit's s3: bucket, region, endpoint, sizes and times of objects, key prefix. */
function fluentBitS3(section: Section, c: Record<string, unknown>, notes: string[]): void {
  c.type = 's3';
  c.bucket = section.take('bucket') ?? '';
  const region = section.take('region');
  if (region !== undefined) c.region = region;
  const endpoint = section.take('endpoint');
  if (endpoint !== undefined) {
    c.endpoint = endpoint;
    c.force_path_style = true;
  }
  const keyFormat = section.take('s3_key_format');
  section.take('s3_key_format_tag_delimiters');
  if (keyFormat !== undefined) {
    // The directories of the key, up to the first part made of the tag, a UUID or an index: logship names the object itself.
    const dirs = keyFormat.replace(/^\/+/, '').split('/').slice(0, -1);
    const cut = dirs.findIndex((d) => /\$(TAG|UUID|INDEX)/.test(d));
    const kept = cut === -1 ? dirs : dirs.slice(0, cut);
    if (kept.length > 0) c.prefix = `${kept.join('/')}/`;
    notes.push(`s3_key_format ${keyFormat}: converted to prefix ${c.prefix === undefined ? '(none)' : String(c.prefix)}; $TAG, $UUID and $INDEX parts and the file name are not (logship names objects <prefix><writer id>-<first event id>.ndjson.gz)`);
  }
  const compression = section.take('compression');
  c.compression = compression?.toLowerCase() === 'gzip' ? 'gzip' : 'none';
  if (compression !== undefined && !['gzip', 'none'].includes(compression.toLowerCase())) notes.push(`compression ${compression} not converted: logship writes gzip or plain NDJSON`);
  const object: Record<string, unknown> = {};
  const total = section.takeParam('total_file_size');
  const maxBytes = total && size(total.value);
  if (maxBytes) object.max_bytes = maxBytes;
  else if (total) notes.push(paramNote(total, 'not a size'));
  const timeout = section.takeParam('upload_timeout');
  const maxAge = timeout && duration(timeout.value);
  if (maxAge) object.max_age = maxAge;
  else if (timeout) notes.push(paramNote(timeout, 'not a duration'));
  if (Object.keys(object).length > 0) c.object = object;
  const chunk = section.take('upload_chunk_size');
  if (chunk !== undefined) {
    const bytes = sizeBytes(chunk);
    if (bytes !== undefined && bytes >= 5 * 1024 ** 2) c.part_size = size(chunk);
    else notes.push(`upload_chunk_size ${chunk} not converted: logship's part_size is at least 5MiB`);
  }
  const cls = section.take('storage_class');
  if (cls !== undefined) c.storage_class = cls;
  const role = section.take('role_arn');
  if (role !== undefined) notes.push(`role_arn ${role} not converted: logship uses the AWS SDK default chain (set AWS_ROLE_ARN with web identity, or a profile with role_arn)`);
}

/** Fluentd `<buffer>`: flush and size settings as batching, buffer and retry settings. */
function fluentdBuffer(buffer: Section, c: Record<string, unknown>, notes: string[]): void {
  const s3 = c.type === 's3';
  const type = buffer.take('@type');
  if (type === 'memory') c.buffer = { ...(c.buffer as object), type: 'memory' };
  if (buffer.take('path') !== undefined) notes.push(`<buffer> path (${buffer.where}): logship keeps this output's buffer under buffer.path/buffers/<name>/`);
  const total = buffer.takeParam('total_limit_size');
  if (total !== undefined) {
    const s = size(total.value);
    if (s !== undefined && (fromEnv(total.value) || (sizeBytes(total.value) ?? 0) >= 1024 ** 2)) c.buffer = { ...(c.buffer as object), max_size: s };
    else notes.push(paramNote(total, "logship's buffer.max_size is a size of at least 1MiB"));
  }
  const overflow = buffer.take('overflow_action');
  if (overflow === 'block') c.buffer = { ...(c.buffer as object), when_full: 'block' };
  else if (overflow !== undefined) notes.push(`overflow_action ${overflow} (${buffer.where}) not converted: logship blocks reading (when_full: block) or drops the newest events (drop_newest)`);
  const unconverted = (p: Param | undefined, why: string) => {
    if (p) notes.push(paramNote(p, why));
  };
  const flush = buffer.takeParam('flush_interval');
  const chunk = buffer.takeParam('chunk_limit_size');
  const timekey = buffer.takeParam('timekey');
  if (s3) {
    const object: Record<string, unknown> = { ...(c.object as object) };
    // An object is closed by age: after timekey when there is one, else after flush_interval.
    const age = timekey ?? flush;
    const maxAge = age && duration(age.value);
    if (maxAge) object.max_age = maxAge;
    else unconverted(age, 'not a duration');
    if (timekey && flush) unconverted(flush, 'objects close after timekey (object.max_age)');
    const maxBytes = chunk && size(chunk.value);
    if (maxBytes) object.max_bytes = maxBytes;
    else unconverted(chunk, 'not a size');
    if (Object.keys(object).length > 0) c.object = object;
    if (timekey) notes.push(`timekey ${timekey.value} (${timekey.where}): an object is closed after this long (object.max_age); logship does not wait for timekey_wait`);
  } else {
    const timeout = flush && duration(flush.value);
    if (timeout) c.batch = { ...(c.batch as object), timeout };
    else unconverted(flush, 'not a duration');
    if (chunk) setBatchBytes(c, chunk.value, notes);
    unconverted(timekey, 'logship batches by size and time (batch.*)');
  }
  const threads = buffer.takeParam('flush_thread_count');
  if (threads && /^\d+$/.test(threads.value) && !s3) c.concurrency = Math.min(64, Math.max(1, Number(threads.value)));
  else unconverted(threads, s3 ? 'the S3 output uploads one object part at a time' : 'not a number');
  const retry: Record<string, unknown> = {};
  const forever = bool(buffer.take('retry_forever'));
  for (const [key, to] of [['retry_wait', 'initial_backoff'], ['retry_max_interval', 'max_backoff'], ['retry_timeout', 'max_duration']] as const) {
    const p = buffer.takeParam(key);
    if (!p) continue;
    const d = duration(p.value);
    if (s3) unconverted(p, "the S3 output retries from its buffer with logship's own backoff");
    else if (!d) unconverted(p, 'not a duration');
    // retry_forever wins over retry_timeout in Fluentd: no dead-lettering by age then.
    else if (!(to === 'max_duration' && forever)) retry[to] = d;
  }
  if (Object.keys(retry).length > 0) c.retry = retry;
  notes.push(
    ...leftoverNotes(
      buffer,
      {
        flush_mode: 'logship sends a batch when it is full or batch.timeout passed',
        flush_at_shutdown: 'logship drains on stop and keeps the rest in its disk buffer for the next start',
        flush_thread_interval: 'logship waits for events, not a polling interval',
        retry_max_times: 'logship retries without a count limit (retry.max_duration bounds the time)',
        retry_type: 'logship backs off exponentially with jitter',
        retry_exponential_backoff_base: 'logship doubles the backoff',
        retry_randomize: 'logship always randomises the backoff',
        queue_limit_length: 'logship bounds its buffer by bytes (buffer.max_size)',
        chunk_limit_records: 'converted by size only (batch.max_events is separate)',
        queued_chunks_limit_size: 'logship bounds its buffer by bytes',
        compress: "logship's disk buffer is not compressed; requests and objects are",
        timekey_wait: 'logship closes an object when it is old enough',
        timekey_use_utc: 'logship fills dates in UTC',
        timekey_zone: 'logship fills dates in UTC',
        delayed_commit_timeout: 'no logship equivalent',
      },
      'no logship buffer option matches it',
    ),
  );
  if (buffer.arg.trim() !== '' && buffer.arg.trim() !== 'time') notes.push(`<buffer ${buffer.arg}> (${buffer.where}): logship does not split objects or batches by chunk keys`);
}

/** Fluent Bit's per-output storage and retry settings. */
function fluentBitLimits(section: Section, c: Record<string, unknown>, notes: string[]): void {
  const total = section.takeParam('storage.total_limit_size');
  if (total !== undefined) {
    const s = size(total.value);
    if (s !== undefined && (fromEnv(total.value) || (sizeBytes(total.value) ?? 0) >= 1024 ** 2)) c.buffer = { max_size: s };
    else notes.push(paramNote(total, "logship's buffer.max_size is a size of at least 1MiB"));
  }
  const limit = section.take('retry_limit');
  if (limit !== undefined && /^\d+$/.test(limit)) notes.push(`Retry_Limit ${limit}: logship retries without a count limit; set retry.max_duration to send events that keep failing to the dead-letter file`);
}

function setDuration(c: Record<string, unknown>, key: string, v: string, where: string, notes: string[]): void {
  const d = duration(v);
  if (d === undefined) notes.push(paramNote({ key, value: v, where }, 'not a duration'));
  else c[key] = d;
}

/** `batch.max_bytes` within logship's bounds (1KiB – 100MiB). */
function setBatchBytes(c: Record<string, unknown>, v: string, notes: string[]): void {
  const bytes = sizeBytes(v);
  if (bytes === undefined) {
    notes.push(`a batch size of ${v} not converted: not a size`);
    return;
  }
  const capped = Math.min(Math.max(bytes, 1024), 100 * 1024 ** 2);
  if (capped !== bytes) notes.push(`a batch size of ${v} is outside logship's 1KiB – 100MiB: ${capped === 1024 ? '1KiB' : '100MiB'} used`);
  c.batch = { ...(c.batch as object), max_bytes: size(String(capped)) };
}

/** type first, name second: the YAML reads like the examples in the docs. */
function ordered(c: Record<string, unknown>): Record<string, unknown> {
  const { type, name, ...rest } = c;
  return { type, ...(name === undefined ? {} : { name }), ...rest };
}
