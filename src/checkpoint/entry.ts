/** One file generation's resume point, as persisted in the checkpoint file. */
export interface CheckpointEntry {
  /** Event-id prefix of the generation (empty if no line was emitted yet). */
  key: string;
  /** Where the file was tailed; a rotated file is looked up beside it by identity. */
  path: string;
  dev: number;
  ino: number;
  fp_len: number;
  fp_crc: number;
  fp_final: boolean;
  generation: number;
  /** Byte offset of the first line not yet durably handed off. */
  offset: number;
  /** Last modification time seen: generations written after it were rotated away unseen. */
  mtime_ms: number;
}
