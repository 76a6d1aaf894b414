/** Line flags, a bit set per line, set by the tailer and turned into tags by the parser chain. */
export const LINE_TRUNCATED = 1;
export const LINE_PARTIAL = 2;
