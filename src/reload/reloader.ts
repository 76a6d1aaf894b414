import { ConfigError, type ResolvedConfig } from '../config/load.js';
import type { Env } from '../config/substitute.js';
import type { Logger } from '../log.js';
import type { ConfigView } from '../server/metrics.js';
import { Coalescer } from '../util/serial.js';
import { planReload, type ReloadPlan } from './config-diff.js';
import { readConfigSource, validateConfigText, type ConfigSource } from './config-source.js';
import { ConfigWatch } from './config-watch.js';

/** What a reload does to the running agent (src/pipeline/agent.ts). */
export interface Reconfigurable {
  reconfigure(next: ResolvedConfig, plan: ReloadPlan, deadline: number): Promise<void>;
}

export type ReloadResult = 'success' | 'invalid' | 'rejected' | 'rolled_back';

/**
 * SIGHUP and `config.watch` (docs/reload.md): reads the config file again,
 * validates it as `logship validate` does, and hands what changed to the
 * agent within `reload.timeout`. An invalid config is logged problem by
 * problem and the running one stays. Requests coalesce: one reload runs, at
 * most one waits, and every request made meanwhile shares the waiting one
 * (it reads the file when it starts, so it sees every change made before).
 */
export class Reloader {
  private running: ConfigSource;
  /** The hash of the text last read, valid or not: the watch reloads only when the file holds another. */
  private lastRead: string;
  private readonly reloads: Record<ReloadResult, number> = { success: 0, invalid: 0, rejected: 0, rolled_back: 0 };
  private readonly pending = new Coalescer<ReloadResult>(() => this.reloadNow());
  private readonly watch: ConfigWatch;

  constructor(
    private readonly file: string,
    initial: ConfigSource,
    private readonly agent: Reconfigurable,
    private readonly logger: Logger,
    private readonly env: Env = process.env,
  ) {
    this.running = initial;
    this.lastRead = initial.hash;
    this.watch = new ConfigWatch(file, () => this.lastRead, () => void this.request('config.watch'), logger);
    this.applyWatch(initial.config);
  }

  /** For `logship_config_info` and `logship_config_reloads_total`. */
  view(): ConfigView {
    return { hash: this.running.hash, reloads: { ...this.reloads } };
  }

  request(trigger: string): Promise<ReloadResult> {
    this.logger.info({ trigger }, 'reload requested');
    return this.pending.request();
  }

  /** Stops watching (the agent is stopping); a reload already running finishes. */
  close(): void {
    this.watch.stop();
  }

  private async reloadNow(): Promise<ReloadResult> {
    const result = await this.attempt();
    this.reloads[result]++;
    return result;
  }

  private async attempt(): Promise<ReloadResult> {
    let next: ResolvedConfig;
    let hash: string;
    try {
      const source = await readConfigSource(this.file);
      hash = source.hash;
      this.lastRead = hash;
      next = await validateConfigText(source.text, this.file, this.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // One line per problem, each naming its config path, as `logship validate` prints them.
      for (const problem of err.problems) this.logger.error({ file: this.file, problem }, `reload: ${problem}`);
      this.logger.error({ file: this.file, problems: err.problems.length }, 'reload rejected: the new config is invalid; the running config stays');
      return 'invalid';
    }
    const plan = planReload(this.running.config, next);
    if (Array.isArray(plan)) {
      for (const problem of plan) this.logger.error({ file: this.file, problem }, `reload: ${problem}`);
      this.logger.error({ file: this.file, problems: plan.length }, 'reload rejected: the new config changes what only a restart can; the running config stays');
      return 'rejected';
    }
    const started = Date.now();
    try {
      await this.agent.reconfigure(next, plan, started + next.reload.timeout);
    } catch (err) {
      this.logger.error({ file: this.file, err: (err as Error).message }, 'reload failed; rolled back, the running config stays');
      return 'rolled_back';
    }
    this.running = { config: next, hash };
    if (this.env.LOGSHIP_LOG_LEVEL === undefined) this.logger.level = next.log.level;
    this.applyWatch(next);
    this.logger.info({ hash, ms: Date.now() - started, inputs: summary(plan.inputs), outputs: summary(plan.outputs) }, 'config reloaded');
    return 'success';
  }

  private applyWatch(config: ResolvedConfig): void {
    if (config.config.watch) this.watch.start(config.config.poll_interval);
    else this.watch.stop();
  }
}

function summary(changes: ReloadPlan['inputs'] | ReloadPlan['outputs']): Record<string, string[]> {
  return { added: changes.added.map((p) => p.name), changed: changes.changed.map((p) => p.name), removed: changes.removed, unchanged: changes.unchanged };
}
