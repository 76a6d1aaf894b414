import { ConfigError } from '../config/load.js';
import { createLogger } from '../log.js';
import { Agent } from '../pipeline/agent.js';
import { loadConfigSource, type ConfigSource } from '../reload/config-source.js';
import { Reloader } from '../reload/reloader.js';
import { sizeToMemoryLimit } from '../runtime/heap-reexec.js';
import { describeSystemError, StartupError } from '../startup-error.js';
import { ProgressLine } from './progress.js';
import { printConfigError } from './validate.js';

/**
 * `logship run`: the daemon. SIGTERM/SIGINT start a graceful stop (exit 0 once
 * drained); a second signal stops at once, leaving unsent data to the next start.
 * SIGHUP (and with `config.watch` a changed file) reloads the config (docs/reload.md).
 */
export async function runCommand(configPath: string): Promise<number> {
  let source: ConfigSource;
  try {
    // Validated as `logship validate` does: what would fail at once in the filesystem fails here, before anything starts.
    source = await loadConfigSource(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      printConfigError(err);
      return 1;
    }
    throw err;
  }
  const { config } = source;
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stderr.isTTY === true);
  const logger = createLogger(process.env.LOGSHIP_LOG_LEVEL ?? config.log.level, pretty);
  const memoryProblem = sizeToMemoryLimit(logger);
  if (memoryProblem !== undefined) {
    logger.fatal(`logship cannot run: ${memoryProblem}`);
    return 1;
  }
  // The agent reads the reloader's figures only at scrape time, after both exist.
  let reloader: Reloader | undefined;
  const agent = new Agent(config, logger, () => reloader!.view());
  reloader = new Reloader(configPath, source, agent, logger);
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
    reloader?.close();
    agent.stop();
  };
  // Concurrent SIGHUPs share one reload (the reloader coalesces them); once stopping, a SIGHUP is noted and ignored.
  const onHangup = () => {
    if (signals > 0) logger.warn({ signal: 'SIGHUP' }, 'SIGHUP received while stopping; not reloading');
    else void reloader!.request('SIGHUP').catch((err: unknown) => logger.error({ err }, 'reload failed on an error'));
  };
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
    reloader.close();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  }
  // An abandoned write still holds its socket open: the stop must end at the deadline, not when the socket does.
  if (agent.abandonedWrites) process.exit(code);
  // SIGHUP stays handled to the end (a reload is refused while stopping): a hangup during the last writes must not kill the process.
  return code;
}
