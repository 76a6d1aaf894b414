import { z } from 'zod';
import { bufferOverrideSchema } from './buffer-schema.js';
import { safeName } from './names.js';

/** The keys every output type has besides `type`, described once: each output schema spreads them. */
export const outputFields = {
  name: safeName()
    .optional()
    .describe('Names the output: its buffer directory (`<buffer.path>/buffers/<name>/`) and the `output` label of its metrics and log lines; default `<type>-<index>`.'),
  inputs: z.array(z.string().min(1)).min(1).optional().describe('The names of the inputs this output takes events from; every input when left out.'),
  buffer: bufferOverrideSchema.optional(),
  readiness: z
    .enum(['required', 'ignored'])
    .optional()
    .describe(
      '`required`: `/readyz` fails while this output fails past `server.health.output_failure_grace`. Default `ignored`: a sidecar\'s readiness gates the whole pod, so a logging backend outage would take the app out of its Service.',
    ),
};
