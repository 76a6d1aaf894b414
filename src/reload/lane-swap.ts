import type { NamedOutputConfig } from '../../outputs/registry.js';
import type { Logger } from '../log.js';
import type { OutputLane } from '../pipeline/output-lane.js';
import type { Changes } from './config-diff.js';
import { beforeDeadline, ReloadTimeout } from './deadline.js';
import type { DispatchGate } from './dispatch-gate.js';

/** What the agent lends a reload to change its outputs. */
export interface LaneHost {
  lanes(): readonly OutputLane[];
  setLanes(lanes: readonly OutputLane[]): void;
  /** A lane in a tracker slot free of `lanes()` and `reserved`, its buffer not yet opened. */
  create(config: NamedOutputConfig, reserved: readonly OutputLane[]): Promise<OutputLane>;
  /** Stops its delivery (not past `deadline`), closes its buffer, frees its slot. */
  retire(lane: OutputLane, deadline: number): Promise<void>;
  /** Recomputes every input's route from the lanes and the running config. */
  reroute(): void;
  readonly gate: DispatchGate;
  readonly logger: Logger;
}

/**
 * The output half of a reload. Added outputs are opened first; removed and
 * changed ones are closed only while no append is in flight (the dispatch gate),
 * and a changed one is reopened on the same buffer directory with its new
 * config. Unchanged lanes are not touched at all. If anything fails or
 * `deadline` passes, the new lanes are closed, the old ones reopened as they
 * were, and the error is thrown: the running config stays.
 */
export class LaneSwap {
  constructor(
    private readonly host: LaneHost,
    private readonly changes: Changes<NamedOutputConfig>,
    private readonly deadline: number,
  ) {}

  /** `commit` switches the running config and routes once the new lanes are in place (the gate still closed). */
  async run(commit: () => void): Promise<void> {
    const { host, changes, deadline } = this;
    const before = host.lanes();
    const leaving = new Set([...changes.removed, ...changes.changed.map((o) => o.name)]);
    const retiring = before.filter((l) => leaving.has(l.config.name));
    const kept = before.filter((l) => !leaving.has(l.config.name));
    const opened: OutputLane[] = [];
    let retired = false;
    try {
      for (const config of changes.added) opened.push(await this.open(config, [...before, ...opened]));
      if (retiring.length > 0) {
        if (!(await host.gate.close(deadline))) {
          throw new ReloadTimeout(`reload.timeout reached while events waited for room in a full buffer (outputs ${before.map((l) => l.config.name).join(', ')}); the old config keeps running`);
        }
        // Half of what is left for the writes in flight to finish: the other half opens the replacements.
        const stopBy = Date.now() + (deadline - Date.now()) / 2;
        for (const lane of retiring) await host.retire(lane, stopBy);
        retired = true;
        host.setLanes([...kept, ...opened]);
        for (const config of changes.changed) opened.push(await this.open(config, opened));
      }
      host.setLanes([...kept, ...opened]);
      commit();
    } catch (err) {
      for (const lane of opened) await host.retire(lane, Math.max(Date.now(), deadline));
      host.setLanes(retired ? [...kept, ...(await this.restore(retiring, kept))] : before);
      host.reroute();
      throw err;
    } finally {
      host.gate.open();
    }
  }

  private async open(config: NamedOutputConfig, reserved: readonly OutputLane[]): Promise<OutputLane> {
    const lane = await beforeDeadline(this.host.create(config, reserved), this.deadline, `building output ${config.name}`);
    // A buffer that opens after the deadline belongs to no config: closed as soon as it is open.
    await beforeDeadline(lane.buffer.open(), this.deadline, `opening the buffer of output ${config.name}`, () => void this.host.retire(lane, Date.now()));
    lane.delivery.start();
    this.host.logger.info({ output: config.name }, 'reload: output started');
    return lane;
  }

  /** Rollback: the retired lanes again, with their old configs; one that cannot be reopened is logged, not fatal. */
  private async restore(retiring: readonly OutputLane[], kept: readonly OutputLane[]): Promise<OutputLane[]> {
    const restored: OutputLane[] = [];
    for (const old of retiring) {
      try {
        const lane = await this.host.create(old.config, [...kept, ...restored]);
        await lane.buffer.open();
        lane.delivery.start();
        restored.push(lane);
      } catch (err) {
        this.host.logger.error({ output: old.config.name, err: (err as Error).message }, 'reload rollback: output could not be reopened; its events stay in its buffer for the next start');
      }
    }
    return restored;
  }
}
