/**
 * The `s3` output's object store: each object is one S3 object, uploaded with
 * one PutObject when it ends under `part_size`, else as a multipart upload
 * whose parts go out as they fill. An object becomes durable only when its
 * upload completes, so `sync` says false and the object core holds the
 * object's records back until then.
 *
 * Memory per open object stays at most one part: bytes are copied into a
 * part buffer until it is full, and the core waits for the part's upload
 * before it writes more to that object.
 *
 * Keys are deterministic: `<prefix><writer id>-<first event id><extension>`.
 * The same records replayed after a failure start an object with the same
 * first event and so rewrite the same key instead of adding a duplicate; no
 * random names, no counters in memory, no HEAD probes.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectBackend, ObjectSink, ObjectStart } from '../objects/backend.js';
import { objectExtension } from '../objects/compression.js';
import type { Logger } from '../../src/log.js';
import type { OutputCounters } from '../../src/output/contract.js';
import { newUploadStats, observeDuration, type UploadStats } from '../../src/output/upload-stats.js';
import { createS3Client } from './client.js';
import type { S3OutputConfig } from './config.js';
import { s3RequestError } from './request-errors.js';
import { bodyHeaders, objectHeaders, type BodyHeaders, type ObjectHeaders } from './request-options.js';
import { loadWriterId } from './writer-id.js';

/** The object's key. `firstEventId` is empty only for events without an id; the first batch's seq stands in then. */
export function objectKey(object: ObjectStart, writerId: string): string {
  const first = object.firstEventId !== '' ? object.firstEventId : `seq${object.firstSeq}`;
  return `${object.prefix}${writerId}-${first}${objectExtension(object.compression)}`;
}

/** Where an output's objects go, once its client and writer id are ready. */
interface S3Target {
  readonly label: string;
  readonly client: S3Client;
  readonly bucket: string;
  readonly writerId: string;
  readonly partSize: number;
  readonly headers: ObjectHeaders;
  /** Content-MD5 per body, with `content_md5` (request-options.ts). */
  readonly bodyHeaders: BodyHeaders;
  /** Requests by outcome (`sent`, `failed`), as `logship_output_requests_total`. */
  readonly counters: OutputCounters;
  /** Objects, bytes, parts, failures by reason, durations, open objects: `logship_output_*` upload metrics. */
  readonly uploads: UploadStats;
}

export interface S3BackendOptions {
  readonly label: string;
  readonly config: S3OutputConfig;
  /** Where the writer id is kept (writer-id.ts). */
  readonly writerIdFile: string;
  readonly logger: Logger;
  readonly counters: OutputCounters;
}

export class S3ObjectBackend implements ObjectBackend {
  private target: S3Target | undefined;

  constructor(private readonly opts: S3BackendOptions) {}

  /**
   * Reads the credentials and the writer id. Nothing is probed ahead: the
   * first upload says whether the bucket is there and writable, by name.
   */
  async start(): Promise<void> {
    const { label, config, logger } = this.opts;
    const writerId = await loadWriterId(label, this.opts.writerIdFile);
    const { client, credentialSource, proxies, verifiesTls } = await createS3Client(config).catch((err: unknown) => {
      throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
    });
    this.target = { label, client, bucket: config.bucket, writerId, partSize: config.part_size, headers: objectHeaders(config), bodyHeaders: bodyHeaders(config), counters: this.opts.counters, uploads: (this.opts.counters.uploads ??= newUploadStats()) };
    if (!verifiesTls) logger.warn(`${label}: TLS CERTIFICATE VERIFICATION IS OFF (tls.verify: false): anyone on the path can read and alter what is sent, credentials included`);
    logger.info({ bucket: config.bucket, writerId, credentials: credentialSource, proxies }, `${label} writes to bucket "${config.bucket}" as writer ${writerId}, credentials from ${credentialSource}`);
  }

  async open(object: ObjectStart): Promise<ObjectSink> {
    const target = this.target!;
    return new S3Object(target, objectKey(object, target.writerId));
  }

  stop(): void {
    this.target?.client.destroy();
  }
}

/** The part buffer starts this small and doubles up to part_size: most objects stay far below a part. */
const MIN_PART_BUFFER = 64 * 1024;

class S3Object implements ObjectSink {
  /**
   * Bytes not uploaded yet, copied out of the batches they came from (so no
   * batch stays pinned by a view) into one buffer of at most part_size,
   * reused for every part.
   */
  private part = Buffer.alloc(0);
  private partBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private partsBytes = 0;
  readonly openedAt = Date.now();

  constructor(
    private readonly target: S3Target,
    private readonly key: string,
  ) {
    target.uploads.open.add(this);
  }

  async write(chunks: readonly Buffer[]): Promise<void> {
    const partSize = this.target.partSize;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        if (this.partBytes === this.part.length) this.grow(this.partBytes + chunk.length - at);
        const copied = chunk.copy(this.part, this.partBytes, at);
        this.partBytes += copied;
        at += copied;
        // The core waits for this write, so no more bytes arrive for this object while its part uploads.
        if (this.partBytes === partSize) await this.uploadPart();
      }
    }
  }

  async sync(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      const body = this.part.subarray(0, this.partBytes);
      await this.request('PutObject', () => this.target.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.key, Body: body, ...this.target.headers, ...this.target.bodyHeaders(body) })));
      this.uploaded(body.length);
      this.release();
      return;
    }
    if (this.partBytes > 0) await this.uploadPart();
    const uploadId = this.uploadId;
    await this.request('CompleteMultipartUpload', () =>
      this.target.client.send(new CompleteMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId, MultipartUpload: { Parts: this.parts } })),
    );
    this.uploadId = undefined;
    this.uploaded(this.partsBytes);
    this.release();
  }

  async abort(): Promise<void> {
    this.release();
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    if (uploadId === undefined) return;
    // Best effort: parts left behind cost storage until a lifecycle rule
    // (AbortIncompleteMultipartUpload, docs/outputs/s3.md) removes them; the records replay either way.
    await this.target.client.send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId })).catch(() => {});
  }

  /** Uploads the part buffer as the next part, starting the multipart upload first if needed. */
  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.request('CreateMultipartUpload', () =>
        this.target.client.send(new CreateMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, ...this.target.headers })),
      );
      if (created.UploadId === undefined) throw new Error(`${this.target.label}: bucket "${this.target.bucket}": CreateMultipartUpload ${this.key} returned no UploadId`);
      this.uploadId = created.UploadId;
    }
    const uploadId = this.uploadId;
    const PartNumber = this.parts.length + 1;
    const body = this.part.subarray(0, this.partBytes);
    const done = await this.request('UploadPart', () =>
      this.target.client.send(new UploadPartCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId, PartNumber, Body: body, ...this.target.bodyHeaders(body) })),
    );
    this.parts.push({ ETag: done.ETag, PartNumber });
    this.target.uploads.parts++;
    this.partsBytes += body.length;
    this.partBytes = 0;
  }

  /** A larger part buffer, for at least `wanted` bytes up to part_size, keeping what it holds. */
  private grow(wanted: number): void {
    const size = Math.min(this.target.partSize, Math.max(MIN_PART_BUFFER, this.part.length * 2, wanted));
    const bigger = Buffer.allocUnsafe(size);
    this.part.copy(bigger, 0, 0, this.partBytes);
    this.part = bigger;
  }

  private release(): void {
    this.part = Buffer.alloc(0);
    this.partBytes = 0;
    this.target.uploads.open.delete(this);
  }

  private uploaded(bytes: number): void {
    this.target.uploads.objects++;
    this.target.uploads.bytes += bytes;
  }

  private async request<T>(op: string, send: () => Promise<T>): Promise<T> {
    const requests = this.target.counters.requests;
    const started = performance.now();
    try {
      const answer = await send();
      requests.sent = (requests.sent ?? 0) + 1;
      return answer;
    } catch (err) {
      requests.failed = (requests.failed ?? 0) + 1;
      const failure = s3RequestError(this.target.label, this.target.bucket, op, this.key, err);
      this.target.uploads.failures[failure.reason] = (this.target.uploads.failures[failure.reason] ?? 0) + 1;
      throw failure;
    } finally {
      observeDuration(this.target.uploads, op, (performance.now() - started) / 1000);
    }
  }
}
