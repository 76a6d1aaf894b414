import type { Logger } from '../log.js';
import { RequestFailureWatch, seconds, type OutputHealthView } from '../server/health.js';

/** One output as the watch reads it. */
export interface WatchedOutput {
  healthView(): OutputHealthView;
  /** Records the output acknowledged since the start. */
  delivered(): number;
}

interface OutputState {
  /** While failing: since when (epoch ms), and the last failing sample's backlog and delivered count. */
  down: { since: number; backlog: number; delivered: number } | undefined;
  /**
   * Set by the recovery, until that backlog is acknowledged: the buffer
   * delivers in order, so that is when `delivered` grew by `backlog`.
   */
  catchingUp: { at: number; delivered: number; backlog: number } | undefined;
}

/** How often the outputs are sampled: an outage shorter than this may go unreported, which is no loss. */
export const WATCH_INTERVAL_MS = 1000;

/**
 * Tells the operator when a failing output recovers: "delivery resumed" with
 * how long it was down and the backlog it found, then "delivery caught up"
 * with how many events it delivered to work the backlog off, and in how long.
 * A failure is either the delivery loop's (a failed write, rebuilt) or the
 * output's own request retries (Elasticsearch unreachable): the same two
 * signals /health reads (src/server/health.ts).
 */
export class DeliveryWatch {
  private readonly requests = new RequestFailureWatch();
  private readonly states = new Map<string, OutputState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outputs: () => readonly WatchedOutput[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), WATCH_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(now = Date.now()): void {
    for (const output of this.outputs()) {
      const view = output.healthView();
      let st = this.states.get(view.name);
      if (!st) this.states.set(view.name, (st = { down: undefined, catchingUp: undefined }));
      const since = view.failure?.since ?? this.requests.since(view, now);
      if (since !== undefined) {
        if (st.down === undefined) this.logger.debug({ output: view.name, since: new Date(since).toISOString() }, 'delivery watch: output failing');
        st.down = { since: st.down?.since ?? since, backlog: view.pending, delivered: output.delivered() };
        st.catchingUp = undefined;
        continue;
      }
      if (st.down !== undefined) {
        // The acknowledgement that ended the failure is when it resumed; the sample may come up to a second later.
        const resumedAt = view.lastAckAt !== undefined && view.lastAckAt >= st.down.since ? view.lastAckAt : now;
        const downForMs = resumedAt - st.down.since;
        const { backlog, delivered } = st.down;
        this.logger.info({ output: view.name, downForMs, backlogEvents: backlog }, `delivery resumed: output ${view.name} was failing for ${seconds(downForMs)}, with ${backlog} events buffered`);
        st.down = undefined;
        st.catchingUp = { at: resumedAt, delivered, backlog };
      }
      if (st.catchingUp !== undefined) {
        const events = output.delivered() - st.catchingUp.delivered;
        if (events < st.catchingUp.backlog) continue;
        const tookMs = Math.max(0, now - st.catchingUp.at);
        this.logger.info({ output: view.name, events, tookMs }, `delivery caught up: output ${view.name} delivered its backlog, ${events} events in ${seconds(tookMs)}`);
        st.catchingUp = undefined;
      }
    }
  }
}
