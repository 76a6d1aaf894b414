/**
 * The `elasticsearch` output: batches from the buffer as `_bulk` requests,
 * every document a `create` with `_id` = event.id, every item accounted for.
 *
 *   config.ts          what can be configured
 *   client.ts          the HTTP client from the config: hosts, auth, TLS, gzip
 *   http-client.ts     a thin node:http(s) client: kept-alive sockets, failover, deadline
 *   host-pool.ts       which host the next request goes to
 *   http-errors.ts     its errors, named as the official client's
 *   server-version.ts  GET / → the media types this server major accepts
 *   target.ts          index name from @timestamp, or the data stream
 *   encoding.ts        action lines + the encoder's document bytes → NDJSON bodies
 *   request.ts         one _bulk request
 *   response.ts        per item: done / retry / dead letter; per request: retry / split
 *   batch-delivery.ts  the loop over one batch until all of it is accounted for
 *   dead-letter.ts     the rotating NDJSON file of documents ES refuses
 *   outcomes.ts        counters and one log line per distinct error reason
 *   index-template.ts  optional ECS template bootstrap
 *
 * Up to `concurrency` batches are in flight; a batch is reported durable (and
 * so acknowledged in the buffer) only when it and every batch before it are
 * accounted for, so acknowledgements stay in order.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { EventBatch, Output, OutputContext, OutputFactory } from '../../src/output/contract.js';
import { batchBufferPool } from '../../src/util/buffer-pool.js';
import { deliverBatch, type BatchDeliveryOptions } from './batch-delivery.js';
import { createClient } from './client.js';
import type { EsHttpClient } from './http-client.js';
import type { ElasticsearchOutputConfig } from './config.js';
import { DeadLetterFile } from './dead-letter.js';
import { BulkItems } from './encoding.js';
import { installTemplates } from './index-template.js';
import { Outcomes } from './outcomes.js';
import { bulkSender, type SendBulk } from './request.js';
import { describeRequestError } from './response.js';
import { detectDialect } from './server-version.js';
import { createTarget, type Target } from './target.js';

type Config = ElasticsearchOutputConfig & { name: string };

export const createElasticsearchOutput = ((config: Config, ctx: OutputContext) => new ElasticsearchOutput(config, ctx)) satisfies OutputFactory<ElasticsearchOutputConfig>;

interface InFlight {
  readonly seq: number;
  done: boolean;
  promise: Promise<void>;
}

export class ElasticsearchOutput implements Output {
  readonly name: string;
  protected readonly target: Target;
  protected readonly outcomes: Outcomes;
  protected readonly deadLetters: DeadLetterFile;
  private client: EsHttpClient | undefined;
  protected delivery: BatchDeliveryOptions | undefined;
  /** Batches written and not yet reported, oldest first. */
  private readonly inFlight: InFlight[] = [];
  private error: Error | undefined;
  /** Stops every batch's retries once one failed: the output is rebuilt and the buffer resends them. */
  protected readonly abort = new AbortController();
  private closed = false;

  constructor(
    protected readonly config: Config,
    protected readonly ctx: OutputContext,
  ) {
    this.name = config.name;
    // Every backoff of every batch in flight listens to the one signal (Node warns past 10).
    setMaxListeners(0, this.abort.signal);
    this.target = createTarget(config);
    this.outcomes = new Outcomes(ctx.counters, ctx.logger, config.type);
    const dl = config.dead_letter;
    this.deadLetters = new DeadLetterFile(dl.path ?? join(ctx.stateDir, 'dead_letter', `${config.name}.ndjson`), dl.max_bytes, dl.max_files, ctx.logger, () => {
      ctx.counters.events.dead_letter_files_dropped = (ctx.counters.events.dead_letter_files_dropped ?? 0) + 1;
    });
  }

  async start(): Promise<void> {
    const client = await createClient(this.config, this.ctx.logger);
    this.client = client;
    const dialect = await detectDialect(client, this.config.api_version);
    if (this.config.index_template.enabled) {
      const installed = await installTemplates(client, dialect, this.target, this.config.index_template).catch((err: unknown) => {
        throw new Error(`cannot install the index template: ${describeRequestError(err).reason}`, { cause: err });
      });
      this.ctx.logger.info({ ...installed, pattern: this.target.pattern }, 'index template installed');
    }
    this.ctx.logger.info({ version: dialect.version, target: this.target.pattern, dataStream: this.target.dataStream }, 'elasticsearch output ready');
    // Our HTTP client settles only once a request stopped reading its body, so bodies can be reused.
    const bodies = batchBufferPool(this.config.concurrency, this.config.batch.max_bytes);
    this.delivery = { ...this.deliveryOptions(bulkSender(client, dialect)), bodies };
  }

  /** How batches are delivered once `send` can reach the server (the OpenSearch output shares all but `send`). */
  protected deliveryOptions(send: SendBulk): BatchDeliveryOptions {
    return {
      send,
      deadLetters: this.deadLetters,
      outcomes: this.outcomes,
      signal: this.abort.signal,
      initialBackoffMs: this.config.retry.initial_backoff,
      maxBackoffMs: this.config.retry.max_backoff,
      maxRetryMs: this.config.retry.max_duration,
    };
  }

  protected bulkItems(batch: EventBatch): BulkItems {
    return new BulkItems(batch, this.target);
  }

  /** Starts the batch; waits while `concurrency` batches are in flight. */
  async write(batch: EventBatch): Promise<void> {
    this.throwIfFailed();
    if (!this.delivery) throw new Error(`${this.config.type} output "${this.name}": write before start`);
    const entry: InFlight = { seq: batch.seq, done: false, promise: Promise.resolve() };
    entry.promise = (batch.count === 0 ? Promise.resolve() : deliverBatch(this.bulkItems(batch), this.delivery)).then(
      () => {
        entry.done = true;
        this.reportInOrder();
      },
      (err: unknown) => {
        // Not accounted for (refused credentials, a failed dead-letter write): nothing after it may be
        // reported; the output is rebuilt and the buffer sends it again.
        this.error ??= err instanceof Error ? err : new Error(String(err));
        this.abort.abort(this.error);
        entry.done = true;
      },
    );
    this.inFlight.push(entry);
    for (;;) {
      const running = this.inFlight.filter((f) => !f.done);
      if (running.length < this.config.concurrency || this.error !== undefined) break;
      await Promise.race(running.map((f) => f.promise));
    }
    this.throwIfFailed();
  }

  async flush(): Promise<void> {
    await Promise.all(this.inFlight.map((f) => f.promise));
    this.outcomes.flush();
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.all(this.inFlight.map((f) => f.promise));
    } finally {
      this.outcomes.flush();
      try {
        await this.deadLetters.close();
      } finally {
        await this.client?.close();
      }
    }
    this.throwIfFailed();
  }

  private reportInOrder(): void {
    let seq: number | undefined;
    while (this.inFlight[0]?.done) seq = this.inFlight.shift()!.seq;
    if (seq !== undefined && this.error === undefined) this.ctx.onDurable(seq);
  }

  private throwIfFailed(): void {
    if (this.error) throw new Error(`${this.config.type} output "${this.name}": ${this.error.message}`, { cause: this.error });
  }
}
