import { ConfigError, loadConfig } from '../config/load.js';
import { preflight } from '../config/preflight.js';
import type { Env } from '../config/substitute.js';

/** Prints each problem of a ConfigError as its own `logship: ` line on stderr. */
export function printConfigError(err: ConfigError): void {
  process.stderr.write(err.problems.map((p) => `logship: ${p}\n`).join(''));
}

/**
 * `logship validate`: 0 and a one-line summary on stdout when the config is
 * valid, 1 and every problem on stderr when it is not. The summary keeps a
 * fixed shape (`config OK: N inputs, M outputs`) so scripts can match it.
 */
export async function validateCommand(configPath: string, env: Env = process.env): Promise<number> {
  try {
    const config = await loadConfig(configPath, env);
    const problems = await preflight(config);
    if (problems.length > 0) {
      printConfigError(new ConfigError(configPath, problems));
      return 1;
    }
    process.stdout.write(`config OK: ${config.inputs.length} inputs, ${config.outputs.length} outputs\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printConfigError(err);
    return 1;
  }
}
