// When a `stats_update` may leave: at most one per interval, as soon as the interval allows after a change, and
// a heartbeat while someone is subscribed. Pure: the in-memory clock runs it as is, and the Redis clock runs the
// same rule in one script so that the instances of a deployment share one period.

export interface CoalescerState {
  /** Grows with every change that may move a count. */
  version: number;
  /** The version the latest update covered (its counts were read after the claim). */
  publishedVersion: number;
  /** When the latest update was claimed (epoch ms), or null before the first. */
  publishedAt: number | null;
}

export interface CoalescerTiming {
  intervalMs: number;
  heartbeatMs: number;
}

/** `claim`: publish now. Otherwise ask again in `retryInMs`, or null: nothing to publish until the next change. */
export type ClaimDecision = { claim: true } | { claim: false; retryInMs: number | null };

export function decide(
  state: CoalescerState,
  now: number,
  timing: CoalescerTiming,
  wantHeartbeat: boolean,
): ClaimDecision {
  const since = state.publishedAt === null ? Number.POSITIVE_INFINITY : now - state.publishedAt;
  if (state.version > state.publishedVersion) {
    return since >= timing.intervalMs ? { claim: true } : { claim: false, retryInMs: timing.intervalMs - since };
  }
  if (!wantHeartbeat) return { claim: false, retryInMs: null };
  const wait = Math.max(timing.intervalMs, timing.heartbeatMs);
  return since >= wait ? { claim: true } : { claim: false, retryInMs: wait - since };
}

/** The rule with its state, for one process. */
export class StatsCoalescer {
  private readonly state: CoalescerState = { version: 0, publishedVersion: 0, publishedAt: null };

  constructor(private readonly timing: CoalescerTiming) {}

  changed(): void {
    this.state.version += 1;
  }

  /** Decides, and on `claim` records the publication (covering every change so far). */
  claim(now: number, wantHeartbeat: boolean): ClaimDecision {
    const decision = decide(this.state, now, this.timing, wantHeartbeat);
    if (decision.claim) {
      this.state.publishedVersion = this.state.version;
      this.state.publishedAt = now;
    }
    return decision;
  }
}
