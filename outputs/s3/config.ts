import { z } from 'zod';
import { nameTemplateProblem } from '../../src/output/name-template.js';
import { outputFields } from '../../src/config/output-fields.js';
import { duration, GiB, HOUR, MiB, size } from '../../src/config/units.js';
import { COMPRESSIONS } from '../objects/compression.js';
import { objectLayoutFields } from '../objects/layout-schema.js';

/** S3 refuses multipart parts below 5 MiB (except the last) and above 5 GiB, and more than 10,000 parts. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10_000;

const credentialsSchema = z
  .strictObject({
    access_key_id_file: z.string().min(1).describe('File holding the access key id (trimmed), read each time the output starts.'),
    secret_access_key_file: z.string().min(1).describe('File holding the secret access key (trimmed), read each time the output starts.'),
    session_token_file: z.string().min(1).optional().describe('File holding a session token for temporary keys (trimmed), read each time the output starts.'),
  })
  .optional()
  .describe(
    "Static keys from files (a rotated file is picked up when the output restarts). Left out: the AWS SDK's default chain (environment, shared config and profile, web identity / IRSA, container and EKS Pod Identity credentials, IMDSv2).",
  );

/** S3's storage classes (x-amz-storage-class), listed here so validating a config never loads the SDK. */
const STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE', 'REDUCED_REDUNDANCY', 'EXPRESS_ONEZONE'] as const;

/** S3 allows at most 10 tags per object, keys up to 128 characters, values up to 256. */
const MAX_TAGS = 10;

const layout = objectLayoutFields('`<prefix><writer id>-<first record>-<first event id>.ndjson[.gz]`; see docs/outputs/s3.md');

export const s3OutputSchema = z
  .strictObject({
    type: z.literal('s3').describe('`s3`: NDJSON objects (gzip by default) in an S3 or S3-compatible bucket, rolled over by size and age (docs/outputs/s3.md).'),
    ...outputFields,
    bucket: z.string().min(1).describe('The bucket that receives the objects; it must exist.'),
    region: z.string().min(1).optional().describe("The bucket's region, e.g. `eu-west-1`; default from the SDK's chain (`AWS_REGION`, the shared config)."),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('The S3 API endpoint for S3-compatible stores (MinIO, Ceph, R2…), e.g. `http://minio:9000`; default the AWS endpoint of `region`.'),
    force_path_style: z.boolean().default(false).describe('Address the bucket in the path (`<endpoint>/<bucket>/<key>`) instead of the host name; most S3-compatible stores need it.'),
    credentials: credentialsSchema,
    ...layout,
    compression: z.enum(COMPRESSIONS).default('gzip').describe('`gzip` (the default) writes `.ndjson.gz` objects with `Content-Encoding: gzip`; `none` writes `.ndjson`.'),
    part_size: size({ min: MIN_PART_SIZE, max: MAX_PART_SIZE })
      .default(8 * MiB)
      .describe('Objects larger than this are uploaded in parts of about this size (multipart upload); smaller ones in one request. Memory per open object stays about one part.'),
    server_side_encryption: z
      .enum(['AES256', 'aws:kms', 'aws:kms:dsse'])
      .optional()
      .describe("Server-side encryption asked for each object: `AES256` (S3-managed keys), `aws:kms` or `aws:kms:dsse` (KMS); default the bucket's default encryption."),
    kms_key_id: z.string().min(1).optional().describe('The KMS key (id, ARN or alias ARN) for `aws:kms`/`aws:kms:dsse`; default the AWS-managed key. The writer then needs `kms:GenerateDataKey`.'),
    storage_class: z.enum(STORAGE_CLASSES).optional().describe('Storage class of each object, e.g. `STANDARD_IA`, `GLACIER_IR`; default `STANDARD`.'),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .refine((t) => Object.keys(t).length <= MAX_TAGS, { message: `S3 allows at most ${MAX_TAGS} tags per object` })
      .optional()
      .describe('Tags set on each object (`{team: payments, retention: 90d}`), for lifecycle rules and cost reports; needs `s3:PutObjectTagging` too.'),
    content_md5: z
      .boolean()
      .default(false)
      .describe('Send a `Content-MD5` of every PutObject and UploadPart body: buckets with Object Lock refuse uploads without one. Costs one MD5 pass over the bytes.'),
    tls: z
      .strictObject({
        ca_file: z.string().min(1).optional().describe("CA certificate(s) (PEM) the endpoint's certificate must chain to, for a store with a private CA; default Node's CA list."),
        verify: z.boolean().default(true).describe('`false` turns certificate checks off (a loud warning is logged at every start).'),
      })
      .optional()
      .describe('TLS to an `https://` endpoint. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY` in the environment.'),
    request_timeout: duration({ min: 1000, max: 1 * HOUR }).default(60_000).describe('A request without an answer after this long fails, and the output retries from the buffer.'),
  })
  .superRefine((c, ctx) => {
    const prefixProblem = nameTemplateProblem(c.prefix, 'object-key', c.inputs);
    if (prefixProblem) ctx.addIssue({ code: 'custom', path: ['prefix'], message: prefixProblem });
    if (c.kms_key_id !== undefined && !c.server_side_encryption?.startsWith('aws:kms')) {
      ctx.addIssue({ code: 'custom', path: ['kms_key_id'], message: 'kms_key_id needs server_side_encryption: aws:kms (or aws:kms:dsse)' });
    }
    // One part more than max_bytes / part_size: the object is closed only after the write that crossed max_bytes.
    if (Math.ceil(c.object.max_bytes / c.part_size) + 1 > MAX_PARTS) {
      ctx.addIssue({ code: 'custom', path: ['part_size'], message: `object.max_bytes / part_size must stay under ${MAX_PARTS - 1} parts (S3 allows ${MAX_PARTS}); raise part_size` });
    }
  });

export type S3OutputConfig = z.output<typeof s3OutputSchema>;
