
/** What a tailed file is, as the checkpoint and the event ids see it. */
export interface SourceRef {
  /** Path the file was found under (a rotated file keeps the name it was tailed as). */
  readonly path: string;
  /** Stable per file generation; the prefix of every event id from it (src/event/event-id.ts). */
  readonly key: string;
}

/**
 * Lines read from one file in one go, column-wise: no object per line.
 * `endOffset` is the offset of the first byte not yet part of an emitted line,
 * i.e. where a restart must resume once this batch is durably handed off.
 */
export interface LineBatch {
  readonly source: SourceRef;
  readonly texts: string[];
  readonly offsets: number[];
  /** Per-line LINE_* bits, or null when no line in the batch has a flag. */
  flags: number[] | null;
  endOffset: number;
}

export function newLineBatch(source: SourceRef): LineBatch {
  return { source, texts: [], offsets: [], flags: null, endOffset: 0 };
}

export function pushLine(batch: LineBatch, text: string, offset: number, flags: number): void {
  if (flags !== 0 && batch.flags === null) batch.flags = new Array<number>(batch.texts.length).fill(0);
  batch.texts.push(text);
  batch.offsets.push(offset);
  if (batch.flags !== null) batch.flags.push(flags);
}
