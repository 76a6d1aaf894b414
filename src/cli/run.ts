import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { Agent } from '../pipeline/agent.js';
import { preflight } from '../config/preflight.js';
import { sizeToMemoryLimit } from '../runtime/heap-reexec.js';
import { describeSystemError, StartupError } from '../startup-error.js';
import { ProgressLine } from './progress.js';
import { printConfigError } from './validate.js';

/**
 * `logship run`: the daemon. SIGTERM/SIGINT start a graceful stop (exit 0 once
 * drained); a second signal stops at once, leaving unsent data to the next start.
 */
export async function runCommand(configPath: string): Promise<number> {
  let config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      printConfigError(err);
      return 1;
    }
    throw err;
  }
  // What would fail at once in the filesystem fails here, in one line each, before anything starts.
  const problems = await preflight(config);
  if (problems.length > 0) {
    printConfigError(new ConfigError(configPath, problems));
    return 1;
  }
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stderr.isTTY === true);
  const logger = createLogger(process.env.LOGSHIP_LOG_LEVEL ?? config.log.level, pretty);
  const memoryProblem = sizeToMemoryLimit(logger);
  if (memoryProblem !== undefined) {
    logger.fatal(`logship cannot run: ${memoryProblem}`);
    return 1;
  }
  const agent = new Agent(config, logger);
  const progress = pretty ? new ProgressLine(() => agent.progress(), (line) => void process.stderr.write(line)) : undefined;
  progress?.start();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    agent.stop();
  };
  // Without a handler SIGHUP kills the process (exit 129, no drain); until reload exists it is noted and ignored.
  const onHangup = () => logger.warn({ signal: 'SIGHUP' }, 'SIGHUP received; reload is not supported yet, ignoring');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);
  let code = 0;
  try {
    await agent.run();
    logger.info('stopped');
  } catch (err) {
    // A cause outside logship (a port in use, a read-only disk) is one line; only a bug keeps its stack.
    const reason = err instanceof StartupError ? err.message : describeSystemError(err);
    if (reason !== undefined) logger.fatal({ err: reason }, `logship cannot run: ${reason}`);
    else logger.fatal({ err }, 'logship stopped on an error');
    code = 1;
  } finally {
    progress?.stop();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  }
  // An abandoned write still holds its socket open: the stop must end at the deadline, not when the socket does.
  if (agent.abandonedWrites) process.exit(code);
  // SIGHUP stays ignored to the end: a hangup during the last writes must not kill the process either.
  return code;
}
