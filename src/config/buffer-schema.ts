import { z } from 'zod';
import { size } from './units.js';

/** An output's own buffer settings, over the top-level `buffer` defaults. */
export const bufferOverrideSchema = z.strictObject({
  type: z.enum(['disk', 'memory']).optional(),
  max_size: size().optional(),
  when_full: z.enum(['block', 'drop_newest']).optional(),
});
