/**
 * ProxyHealth is kube-proxy's notion of "healthy" (pkg/proxy/healthcheck/proxier_health.go):
 * the proxy is healthy unless an update has been waiting longer than the timeout to be applied.
 * An idle proxy with nothing to do stays healthy; one stuck behind a failing sync does not.
 * The clock is injected so the rule is tested without waiting.
 */

/** ProxyHealthStatus is one reading. */
export interface ProxyHealthStatus {
  readonly healthy: boolean;
  /** The last completed sync (or, while healthy, now — kube-proxy reports it that way). */
  readonly lastUpdated: Date;
  readonly currentTime: Date;
}

/** ProxyHealth tracks queued and applied updates. */
export class ProxyHealth {
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  #oldestPending: Date | undefined;
  #lastUpdated = new Date(0);

  /** timeoutMs: kube-proxy uses twice its sync period (2 × 30 s). */
  constructor(timeoutMs = 60_000, now: () => Date = () => new Date()) {
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** queuedUpdate records that a change arrived and awaits a sync. */
  queuedUpdate(): void {
    this.#oldestPending ??= this.#now();
  }

  /** updated records a completed sync: everything queued so far is applied. */
  updated(): void {
    this.#oldestPending = undefined;
    this.#lastUpdated = this.#now();
  }

  /** status reads the health now. */
  status(): ProxyHealthStatus {
    const currentTime = this.#now();
    const healthy =
      this.#oldestPending === undefined ||
      currentTime.getTime() - this.#oldestPending.getTime() < this.#timeoutMs;
    return { healthy, lastUpdated: healthy ? currentTime : this.#lastUpdated, currentTime };
  }
}
