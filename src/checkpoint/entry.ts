import type { ResumePoint } from '../tail/resume-point.js';

/** One file generation's resume point, as persisted in the checkpoint file: the tailer's own type, field for field. */
export type CheckpointEntry = ResumePoint;
