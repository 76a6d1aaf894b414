import { readFileSync } from 'node:fs';
import { convertConfig } from '../convert/convert.js';
import type { Dialect } from '../convert/plan.js';
import { ConvertSyntaxError } from '../convert/section.js';

/**
 * `logship convert --from fluentd|fluent-bit FILE`: the logship config on
 * stdout. Exit 1 only when FILE cannot be read, or read as that dialect.
 */
export function convertConfigCommand(dialect: Dialect, file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`logship: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    process.stdout.write(convertConfig(dialect, file, text));
    return 0;
  } catch (err) {
    if (!(err instanceof ConvertSyntaxError)) throw err;
    process.stderr.write(`logship: ${file} is not a ${dialect === 'fluentd' ? 'Fluentd' : 'Fluent Bit'} config: ${err.message}\n`);
    return 1;
  }
}
