/**
 * What each upload asks of S3 besides its bytes, from the config: content
 * type and encoding, server-side encryption (`AES256`, `aws:kms` with
 * `kms_key_id`), `storage_class`, `tags`, and for `content_md5` a
 * `Content-MD5` of each PutObject and UploadPart body, which buckets with
 * Object Lock require (with checksums `WHEN_REQUIRED` the SDK adds none).
 */
import { createHash } from 'node:crypto';
import type { ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import type { S3OutputConfig } from './config.js';

/** What PutObject and CreateMultipartUpload set on every object. */
export interface ObjectHeaders {
  readonly ContentType: string;
  readonly ContentEncoding?: string;
  readonly ServerSideEncryption?: ServerSideEncryption;
  readonly SSEKMSKeyId?: string;
  readonly StorageClass?: StorageClass;
  readonly Tagging?: string;
}

export function objectHeaders(config: S3OutputConfig): ObjectHeaders {
  return {
    ContentType: 'application/x-ndjson',
    ...(config.compression === 'gzip' && { ContentEncoding: 'gzip' }),
    ...(config.server_side_encryption !== undefined && { ServerSideEncryption: config.server_side_encryption }),
    ...(config.kms_key_id !== undefined && { SSEKMSKeyId: config.kms_key_id }),
    ...(config.storage_class !== undefined && { StorageClass: config.storage_class }),
    // x-amz-tagging is a URL query string.
    ...(config.tags !== undefined && {
      Tagging: Object.entries(config.tags)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&'),
    }),
  };
}

/** What a PutObject or UploadPart adds for its body: `ContentMD5` (base64 of the MD5) with `content_md5`, else nothing. */
export type BodyHeaders = (body: Buffer) => { readonly ContentMD5?: string };

const NONE = {};

export function bodyHeaders(config: Pick<S3OutputConfig, 'content_md5'>): BodyHeaders {
  if (!config.content_md5) return () => NONE;
  return (body) => ({ ContentMD5: createHash('md5').update(body).digest('base64') });
}
