/**
 * The `s3` output's object store: each object is one S3 object, uploaded with
 * one PutObject when it ends under `part_size`, else as a multipart upload
 * whose parts go out as they fill. An object becomes durable only when its
 * upload completes, so `sync` says false and the object core holds the
 * object's records back until then.
 *
 * Memory per open object stays under one part plus one write: bytes are
 * held until a part is full, and the core waits for the part's upload before
 * it writes more to that object.
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
import { objectExtension, type Compression } from '../objects/compression.js';
import type { Logger } from '../../src/log.js';
import { createS3Client } from './client.js';
import type { S3OutputConfig } from './config.js';
import { s3RequestError } from './request-errors.js';
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
}

export interface S3BackendOptions {
  readonly label: string;
  readonly config: S3OutputConfig;
  /** Where the writer id is kept (writer-id.ts). */
  readonly writerIdFile: string;
  readonly logger: Logger;
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
    const { client, credentialSource } = await createS3Client(config).catch((err: unknown) => {
      throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
    });
    this.target = { label, client, bucket: config.bucket, writerId, partSize: config.part_size };
    logger.info({ bucket: config.bucket, writerId, credentials: credentialSource }, `${label} writes to bucket "${config.bucket}" as writer ${writerId}`);
  }

  async open(object: ObjectStart): Promise<ObjectSink> {
    const target = this.target!;
    return new S3Object(target, objectKey(object, target.writerId), object.compression);
  }

  stop(): void {
    this.target?.client.destroy();
  }
}

class S3Object implements ObjectSink {
  /** Bytes not uploaded yet: less than one part, plus the last write. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly target: S3Target,
    private readonly key: string,
    private readonly compression: Compression,
  ) {}

  async write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    for (const c of chunks) this.pending.push(c);
    this.pendingBytes += bytes;
    while (this.pendingBytes >= this.target.partSize) await this.uploadPart(this.take(this.target.partSize));
  }

  async sync(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      const body = this.take(this.pendingBytes);
      await this.request('PutObject', () => this.target.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.key, Body: body, ...this.headers() })));
      return;
    }
    if (this.pendingBytes > 0) await this.uploadPart(this.take(this.pendingBytes));
    const uploadId = this.uploadId;
    await this.request('CompleteMultipartUpload', () =>
      this.target.client.send(new CompleteMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId, MultipartUpload: { Parts: this.parts } })),
    );
    this.uploadId = undefined;
  }

  async abort(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    if (uploadId === undefined) return;
    // Best effort: parts left behind cost storage until a lifecycle rule
    // (AbortIncompleteMultipartUpload, docs/outputs/s3.md) removes them; the records replay either way.
    await this.target.client.send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId })).catch(() => {});
  }

  private async uploadPart(body: Buffer): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.request('CreateMultipartUpload', () =>
        this.target.client.send(new CreateMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, ...this.headers() })),
      );
      if (created.UploadId === undefined) throw new Error(`${this.target.label}: bucket "${this.target.bucket}": CreateMultipartUpload ${this.key} returned no UploadId`);
      this.uploadId = created.UploadId;
    }
    const uploadId = this.uploadId;
    const PartNumber = this.parts.length + 1;
    const done = await this.request('UploadPart', () =>
      this.target.client.send(new UploadPartCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId, PartNumber, Body: body })),
    );
    this.parts.push({ ETag: done.ETag, PartNumber });
  }

  /** The first `n` pending bytes as one buffer; the rest stays pending. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const head = this.pending[0]!;
      const used = Math.min(head.length, n - at);
      head.copy(out, at, 0, used);
      at += used;
      if (used === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(used);
    }
    this.pendingBytes -= n;
    return out;
  }

  private headers(): { ContentType: string; ContentEncoding?: string } {
    return this.compression === 'gzip' ? { ContentType: 'application/x-ndjson', ContentEncoding: 'gzip' } : { ContentType: 'application/x-ndjson' };
  }

  private async request<T>(op: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw s3RequestError(this.target.label, this.target.bucket, op, this.key, err);
    }
  }
}
