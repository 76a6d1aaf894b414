import { z } from 'zod';
import { MiB, size, TiB } from './units.js';

export const bufferOverrideSchema = z
  .strictObject({
    type: z.enum(['disk', 'memory']).optional().describe('`disk` or `memory`, for this output; default `buffer.type`.'),
    max_size: size({ min: 1 * MiB, max: 16 * TiB }).optional().describe("The most this output's buffer holds; default `buffer.max_size`."),
    when_full: z.enum(['block', 'drop_newest']).optional().describe('What happens when this buffer is full (see `buffer.when_full`); default `buffer.when_full`.'),
  })
  .describe("This output's own buffer settings, over the top-level `buffer` ones.");
