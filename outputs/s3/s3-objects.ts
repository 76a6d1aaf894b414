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
 * Keys are deterministic: `<prefix><writer id>-<first record>-<first event
 * id><extension>`, the first record being the object's first buffer record
 * id. Before an object's final upload call its key, prefix and record range
 * go to the upload journal (upload-journal.ts): a replay after a crash or a
 * failed upload rebuilds exactly that object (the object core encodes it
 * byte for byte alike) and rewrites the same key with the same bytes. No
 * random names, no counters in memory, no HEAD probes.
 *
 * On start, multipart uploads a crash left open are aborted: those the
 * journal has the UploadId of directly, the others (a crash right after
 * CreateMultipartUpload) found with ListMultipartUploads under this writer's
 * keys of the prefixes the journal names.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectBackend, ObjectEnd, ObjectRange, ObjectSink, ObjectStart } from '../objects/backend.js';
import { objectExtension } from '../objects/compression.js';
import type { Logger } from '../../src/log.js';
import type { OutputBufferView, OutputCounters } from '../../src/output/contract.js';
import { newUploadStats, observeDuration, type UploadStats } from '../../src/output/upload-stats.js';
import { createS3Client } from './client.js';
import type { S3OutputConfig } from './config.js';
import { failureReason, s3RequestError } from './request-errors.js';
import { bodyHeaders, objectHeaders, type BodyHeaders, type ObjectHeaders } from './request-options.js';
import { UploadJournal, type JournalEntry } from './upload-journal.js';
import { loadWriterId } from './writer-id.js';

/**
 * The object's key. The record id tells apart objects that start with the same
 * event read twice (an input re-reading after a crash); the event id tells
 * apart objects of a memory buffer, whose record ids start over with each run.
 */
export function objectKey(object: ObjectStart, writerId: string): string {
  const event = object.firstEventId !== '' ? `-${object.firstEventId}` : '';
  return `${object.prefix}${writerId}-${object.firstRecord}${event}${objectExtension(object.compression)}`;
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
  readonly journal: UploadJournal;
  readonly journalFile: string;
}

export interface S3BackendOptions {
  readonly label: string;
  readonly config: S3OutputConfig;
  /** Where the writer id is kept (writer-id.ts). */
  readonly writerIdFile: string;
  /** Where the upload journal is kept (upload-journal.ts). */
  readonly journalFile: string;
  readonly logger: Logger;
  readonly counters: OutputCounters;
  /** The output's buffer: which acknowledgements survive a restart. */
  readonly buffer?: OutputBufferView;
}

export class S3ObjectBackend implements ObjectBackend {
  readonly durableOnClose = true;
  private target: S3Target | undefined;
  private recorded: ObjectRange[] = [];

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
    const journal = await UploadJournal.load(label, this.opts.journalFile, logger);
    const target: S3Target = {
      label,
      client,
      bucket: config.bucket,
      writerId,
      partSize: config.part_size,
      headers: objectHeaders(config),
      bodyHeaders: bodyHeaders(config),
      counters: this.opts.counters,
      uploads: (this.opts.counters.uploads ??= newUploadStats()),
      journal,
      journalFile: this.opts.journalFile,
    };
    this.target = target;
    if (!verifiesTls) logger.warn(`${label}: TLS CERTIFICATE VERIFICATION IS OFF (tls.verify: false): anyone on the path can read and alter what is sent, credentials included`);
    logger.info({ bucket: config.bucket, writerId, credentials: credentialSource, proxies }, `${label} writes to bucket "${config.bucket}" as writer ${writerId}, credentials from ${credentialSource}`);
    try {
      await this.abortLeftOpen(target);
    } catch (err) {
      client.destroy();
      throw err;
    }
    const durable = this.opts.buffer?.durableAckId();
    if (durable === undefined && !journal.ownProcess) {
      // A memory buffer's record ids start over with each process: an earlier one's ranges name other records.
      for (const e of journal.entries()) journal.forget(e.key);
      await saveJournal(target, () => journal.save());
    }
    const ranged = journal.entries().filter((e) => e.last !== undefined && (durable === undefined || e.last > durable));
    this.recorded = ranged.map((e) => ({ prefix: e.prefix, first: e.first, last: e.last! }));
    if (this.recorded.length > 0) logger.info({ objects: this.recorded.length }, `${label}: ${this.recorded.length} recorded object(s) will be rebuilt as before when their records replay`);
  }

  async open(object: ObjectStart): Promise<ObjectSink> {
    const target = this.target!;
    return new S3Object(target, objectKey(object, target.writerId), object);
  }

  recordedObjects(): readonly ObjectRange[] {
    return this.recorded;
  }

  acknowledged(seq: number): void {
    this.target?.journal.prune(this.opts.buffer?.durableAckId() ?? seq);
  }

  stop(): void {
    this.target?.client.destroy();
  }

  /**
   * Aborts the multipart uploads an earlier run left open (nothing of this
   * writer is in flight while an output starts), and rewrites the journal
   * without them. Listing needs `s3:ListBucketMultipartUploads`; refused, it
   * is logged and skipped (a lifecycle rule then removes the parts).
   */
  private async abortLeftOpen(target: S3Target): Promise<void> {
    const { journal } = target;
    const entries = journal.entries();
    const unknownIds = new Set<string>();
    let changed = false;
    for (const e of entries) {
      if (e.uploadId !== undefined) await abortUpload(target, e.key, e.uploadId, this.opts.logger);
      else if (e.multipart === true) unknownIds.add(e.prefix);
      if (e.uploadId !== undefined || e.multipart === true) {
        changed = true;
        // What stays is the range of an object to rebuild, without the upload that is gone.
        if (e.last === undefined) journal.forget(e.key);
        else journal.replace({ key: e.key, prefix: e.prefix, first: e.first, last: e.last });
      }
    }
    for (const prefix of unknownIds) await this.abortListed(target, prefix);
    if (changed) await saveJournal(target, () => journal.save());
  }

  private async abortListed(target: S3Target, prefix: string): Promise<void> {
    const Prefix = `${prefix}${target.writerId}-`;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    // Bounded: one writer leaves at most a few uploads per prefix open.
    for (let page = 0; page < 10; page++) {
      let listed;
      try {
        listed = await target.client.send(new ListMultipartUploadsCommand({ Bucket: target.bucket, Prefix, KeyMarker, UploadIdMarker }));
      } catch (err) {
        const e = s3RequestError(target.label, target.bucket, 'ListMultipartUploads', Prefix, err);
        if (e.kind === 'transient') throw e;
        this.opts.logger.warn({ err: e.message }, `${target.label}: cannot list the multipart uploads under ${Prefix} left open by a crash; go on without (a bucket lifecycle rule AbortIncompleteMultipartUpload removes their parts)`);
        return;
      }
      for (const u of listed.Uploads ?? []) if (u.Key !== undefined && u.UploadId !== undefined) await abortUpload(target, u.Key, u.UploadId, this.opts.logger);
      if (!listed.IsTruncated) return;
      KeyMarker = listed.NextKeyMarker;
      UploadIdMarker = listed.NextUploadIdMarker;
    }
  }
}

/** Aborts an upload left open; one already completed or aborted (NoSuchUpload) is fine, a refusal is logged. */
async function abortUpload(target: S3Target, Key: string, UploadId: string, logger: Logger): Promise<void> {
  try {
    await target.client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key, UploadId }));
    logger.info({ key: Key }, `${target.label}: aborted the multipart upload of ${Key} left open by an earlier run`);
  } catch (err) {
    if (failureReason(err).reason === 'NoSuchUpload') return;
    const e = s3RequestError(target.label, target.bucket, 'AbortMultipartUpload', Key, err);
    if (e.kind === 'transient') throw e;
    logger.warn({ err: e.message }, `${target.label}: cannot abort the multipart upload of ${Key} left open by an earlier run; go on without`);
  }
}

async function saveJournal(target: S3Target, save: () => Promise<void>): Promise<void> {
  try {
    await save();
  } catch (err) {
    throw new Error(`${target.label}: cannot write the upload journal ${target.journalFile}: ${(err as Error).message}`, { cause: err });
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
    private readonly start: ObjectStart,
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

  async close(end: ObjectEnd): Promise<void> {
    if (this.uploadId === undefined) {
      await this.record({ last: end.lastRecord });
      const body = this.part.subarray(0, this.partBytes);
      await this.request('PutObject', () => this.target.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.key, Body: body, ...this.target.headers, ...this.target.bodyHeaders(body) })));
      this.uploaded(body.length, end.rawBytes);
      this.release();
      return;
    }
    if (this.partBytes > 0) await this.uploadPart();
    const uploadId = this.uploadId;
    await this.record({ last: end.lastRecord, uploadId, multipart: true });
    await this.request('CompleteMultipartUpload', () =>
      this.target.client.send(new CompleteMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId, MultipartUpload: { Parts: this.parts } })),
    );
    this.uploadId = undefined;
    this.uploaded(this.partsBytes, end.rawBytes);
    // Nothing left to abort; the entry stays (without the upload) until its records are acknowledged.
    this.target.journal.replace({ key: this.key, prefix: this.start.prefix, first: this.start.firstRecord, last: end.lastRecord });
    this.release();
  }

  async abort(): Promise<void> {
    this.release();
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    if (uploadId === undefined) return;
    // Best effort: an upload not aborted now is aborted on the next start (its UploadId is in the journal); the records replay either way.
    try {
      await this.target.client.send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, UploadId: uploadId }));
    } catch {
      return;
    }
    const entry = this.target.journal.get(this.key);
    if (entry?.last === undefined) await this.target.journal.remove(this.key).catch(() => {});
    else this.target.journal.replace({ key: this.key, prefix: entry.prefix, first: entry.first, last: entry.last });
  }

  /**
   * Records this object in the journal (durably) before the request that
   * `fields` prepare. A rebuilt object keeps its recorded range: a crash
   * while it uploads must leave it to be rebuilt again, not cut afresh.
   */
  private record(fields: Pick<JournalEntry, 'last' | 'uploadId' | 'multipart'>): Promise<void> {
    const last = this.target.journal.get(this.key)?.last;
    const entry: JournalEntry = { key: this.key, prefix: this.start.prefix, first: this.start.firstRecord, ...(last !== undefined && { last }), ...fields };
    return saveJournal(this.target, () => this.target.journal.put(entry));
  }

  /** Uploads the part buffer as the next part, starting the multipart upload first if needed. */
  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      // Recorded first: a crash right after the upload is created leaves it findable under this prefix.
      await this.record({ multipart: true });
      const created = await this.request('CreateMultipartUpload', () =>
        this.target.client.send(new CreateMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.key, ...this.target.headers })),
      );
      if (created.UploadId === undefined) throw new Error(`${this.target.label}: bucket "${this.target.bucket}": CreateMultipartUpload ${this.key} returned no UploadId`);
      this.uploadId = created.UploadId;
      await this.record({ uploadId: created.UploadId, multipart: true });
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

  private uploaded(bytes: number, rawBytes: number): void {
    this.target.uploads.objects++;
    this.target.uploads.bytes += bytes;
    this.target.uploads.rawBytes += rawBytes;
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
