/**
 * The `stdout` output: NDJSON on standard output, for piping into another
 * tool or looking at events while trying a config.
 *
 * A batch counts as handed off once the stream's write callback has fired
 * (the bytes are with the kernel or the next process); there is nothing to
 * fsync. Stream backpressure is honoured: write() waits for 'drain'.
 * A closed reader (EPIPE) is reported as a rejected write, never as an
 * uncaught 'error' event that would kill the process.
 */
import type { Writable } from 'node:stream';
import type { EventBatch, Output, OutputContext, OutputFactory } from '../../src/output/contract.js';
import type { StdoutOutputConfig } from './config.js';

export interface StdoutOutputOptions {
  /** Where the lines go; tests inject a stream. Never ended by the output: the caller owns it. */
  readonly stream?: Writable;
}

export const createStdoutOutput = ((config: StdoutOutputConfig & { name: string }, ctx: OutputContext, options?: StdoutOutputOptions) =>
  new StdoutOutput(config.name, ctx, options?.stream ?? process.stdout)) satisfies OutputFactory<StdoutOutputConfig>;

export class StdoutOutput implements Output {
  private readonly label: string;
  private error: Error | undefined;
  private started = false;
  private durableSeq = -Infinity;
  /** Settles when the callback of the latest write has fired; never rejects (failures go to `error`). */
  private lastWrite: Promise<void> = Promise.resolve();
  private closePromise: Promise<void> | undefined;
  private readonly onStreamError = (err: Error): void => {
    this.fail(err);
  };

  constructor(
    readonly name: string,
    private readonly ctx: OutputContext,
    private readonly stream: Writable,
  ) {
    this.label = `stdout output "${name}"`;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Without a listener an EPIPE 'error' event is an uncaught exception.
    this.stream.on('error', this.onStreamError);
  }

  async write(batch: EventBatch): Promise<void> {
    if (this.error !== undefined) throw this.error;
    if (this.closePromise !== undefined) throw new Error(`${this.label}: write after close`);
    if (!this.started) throw new Error(`${this.label}: write before start`);
    if (this.stream.destroyed || this.stream.writableEnded) throw this.fail(new Error('the stream is closed'));
    const { seq } = batch;
    if (batch.count === 0) {
      // Nothing to write: durable as soon as everything before it is.
      this.lastWrite = this.lastWrite.then(() => this.report(seq));
      return;
    }
    let ready = true;
    this.lastWrite = new Promise<void>((resolve) => {
      // The batch's bytes are NDJSON already: written as the encoder made them.
      ready = this.stream.write(batch.data, (err) => {
        if (err) this.fail(err);
        else this.report(seq);
        resolve();
      });
    });
    if (!ready) await this.drained();
    if (this.error !== undefined) throw this.error;
  }

  async flush(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    await this.lastWrite;
    if (this.error !== undefined) throw this.error;
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      await this.lastWrite;
      // After a failure the stream may still emit 'error'; keep listening so it cannot crash the process.
      if (this.error === undefined) this.stream.off('error', this.onStreamError);
      if (this.error !== undefined) throw this.error;
    })();
    return this.closePromise;
  }

  /** Resolves on 'drain'; rejects if the stream fails or closes first. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        this.stream.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => settle();
      const onError = (err: Error): void => settle(this.fail(err));
      const onClose = (): void => settle(this.error ?? this.fail(new Error('the stream closed')));
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
    });
  }

  private report(seq: number): void {
    // Callbacks fire in write order; the guard keeps an empty batch's report from going backwards.
    if (this.error !== undefined || seq <= this.durableSeq) return;
    this.durableSeq = seq;
    this.ctx.onDurable(seq);
  }

  /** Records the first failure, as an Error that says what happened; returns it. */
  private fail(err: Error): Error {
    if (this.error === undefined) {
      const code = (err as { code?: unknown }).code;
      const hint = code === 'EPIPE' ? ' (the reading end of stdout was closed)' : '';
      const wrapped: Error & { code?: unknown } = new Error(`${this.label}: cannot write to stdout: ${err.message}${hint}`, {
        cause: err,
      });
      if (code !== undefined) wrapped.code = code;
      this.error = wrapped;
      this.ctx.logger.error({ err: wrapped }, 'stdout output failed');
    }
    return this.error;
  }
}
