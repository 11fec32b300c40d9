/**
 * SyncScheduler runs one sync at a time and folds bursts of triggers into one run: a request
 * waits `debounceMs` of quiet (so a `kubectl apply` of 50 objects is one sync), but never more
 * than `maxDelayMs` after the first request (so a steady trickle still syncs). A request during
 * a run schedules exactly one more run. Timers only; the clock is injectable for tests.
 */

/** SyncSchedulerOptions bound the wait. */
export interface SyncSchedulerOptions {
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  /** Called with a failed run's error; the scheduler keeps going. */
  readonly onError?: (error: unknown) => void;
}

/** SyncScheduler debounces requests into serialized runs of `run`. */
export class SyncScheduler {
  readonly #run: (reasons: readonly string[]) => Promise<void>;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #onError: (error: unknown) => void;
  #reasons: string[] = [];
  #firstRequestAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** A request asked for no quiet period (request's `now`); cleared by the run it starts. */
  #urgent = false;

  constructor(run: (reasons: readonly string[]) => Promise<void>, options: SyncSchedulerOptions = {}) {
    this.#run = run;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * request asks for a sync, for `reason` (kept for the log line of the run). `now`: nothing
   * more is coming that the run should wait for (the datastore's whole initial state), so the
   * run starts on the next turn of the loop instead of after the quiet period.
   */
  request(reason: string, options: { readonly now?: boolean } = {}): void {
    if (this.#stopped) return;
    if (!this.#reasons.includes(reason) && this.#reasons.length < 20) this.#reasons.push(reason);
    const now = Date.now();
    this.#firstRequestAt ??= now;
    if (options.now === true) this.#urgent = true;
    if (this.#running) return; // the run's end re-arms
    this.#arm(now);
  }

  #arm(now: number): void {
    clearTimeout(this.#timer);
    const wait = this.#urgent
      ? 0
      : Math.max(0, Math.min(this.#debounceMs, this.#firstRequestAt! + this.#maxDelayMs - now));
    this.#timer = setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#urgent = false;
    const reasons = this.#reasons;
    this.#reasons = [];
    this.#firstRequestAt = undefined;
    this.#running = this.#run(reasons)
      .catch((e: unknown) => this.#onError(e))
      .finally(() => {
        this.#running = undefined;
        if (!this.#stopped && this.#reasons.length > 0) this.#arm(Date.now());
      });
  }

  /** idle resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** stop cancels a pending run and waits for a running one. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.idle();
  }
}
