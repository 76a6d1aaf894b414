import { z } from 'zod';
import { MiB, size, TiB } from './units.js';

/** An output's own buffer settings, over the top-level `buffer` defaults. */
export const bufferOverrideSchema = z.strictObject({
  type: z.enum(['disk', 'memory']).optional(),
  max_size: size({ min: 1 * MiB, max: 16 * TiB }).optional(),
  when_full: z.enum(['block', 'drop_newest']).optional(),
});
