import type { ParseFailure } from '../types.js';

/** The two streams of a container; a file of a CRI/docker log holds both, interleaved. */
export type ContainerStream = 'stdout' | 'stderr';

/**
 * One raw line of a container log file, unwrapped: the application's text and
 * what the runtime said about it. A `partial` line is a piece of a longer
 * application line that continues in the next piece of the SAME stream
 * (CRI tag `P`; docker `log` without its trailing newline).
 */
export interface ContainerLine {
  stream: ContainerStream;
  /** The runtime's timestamp (epoch ms), or undefined when the wrapper has none we could read. */
  time: number | undefined;
  text: string;
  partial: boolean;
}

/** Unwraps one raw line (without its line terminator) of a container log file. */
export interface ContainerDecoder {
  decode(line: string): ContainerLine | ParseFailure;
}
