/**
 * QuietTimer schedules work that can wait for a lull: `fire` runs once `quietMs` have passed with
 * no touch(), or `maxDelayMs` after the first touch it has not run for, whichever is first. The
 * restart snapshots use it: written 3 s after the last change when changes stop, but at most once
 * a minute under a steady stream of them, where "3 s after the first change" rewrote ~40 MB
 * (both snapshots at 10k Services × 10 endpoints) every 3 s — serialisation on the event loop,
 * its garbage, and a flush whose disk writes the next datastore write waited behind (the change
 * p99; bench/README.md, scale). A snapshot that lags is still right: the index snapshot's files
 * are checked by stamp and the NAT snapshot's journal holds every write since. Timers unref'd.
 */

/** QuietTimerOptions: the lull to wait for and the longest wait under a stream of touches. */
export interface QuietTimerOptions {
  readonly quietMs: number;
  readonly maxDelayMs: number;
}

/** QuietTimer runs `fire` after a lull in touch(), or at most maxDelayMs after the first. */
export class QuietTimer {
  readonly #fire: () => void;
  readonly #o: QuietTimerOptions;
  #timer: NodeJS.Timeout | undefined;
  /** When the first touch not yet fired for came (undefined: none pending). */
  #firstAt: number | undefined;

  constructor(fire: () => void, options: QuietTimerOptions) {
    this.#fire = fire;
    this.#o = options;
  }

  /** pending is true while a touch waits for its fire. */
  get pending(): boolean {
    return this.#firstAt !== undefined;
  }

  /** touch says something changed: fire after quietMs more of quiet, or at the max delay. */
  touch(): void {
    const now = Date.now();
    this.#firstAt ??= now;
    const wait = Math.max(0, Math.min(this.#o.quietMs, this.#firstAt + this.#o.maxDelayMs - now));
    // Re-arming on every touch is a clearTimeout and a setTimeout (~1 µs): cheap beside a change.
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#firstAt = undefined;
      this.#fire();
    }, wait);
    this.#timer.unref();
  }

  /** cancel drops a pending fire (the caller does the work now, or not at all). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firstAt = undefined;
  }
}
