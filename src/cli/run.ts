import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { Agent } from '../pipeline/agent.js';
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
  const logger = createLogger(process.env.LOGSHIP_LOG_LEVEL ?? config.log.level);
  const agent = new Agent(config, logger);
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
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await agent.run();
    logger.info('stopped');
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'logship stopped on an error');
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  }
}
