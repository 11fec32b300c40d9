/**
 * BackOff: exponential delays between retries (client-go's reflector backs off the same way),
 * from `initialMs` doubling to `maxMs`, with up to 20% jitter so many agents do not retry in step.
 * Pure apart from the injectable random source.
 */

/** BackOffOptions bound the delays; tests shorten them. */
export interface BackOffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly random?: () => number;
}

/** BackOff hands out the next delay; `reset` after a success. */
export class BackOff {
  #attempt = 0;
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;

  constructor(options: BackOffOptions = {}) {
    this.#initial = options.initialMs ?? 250;
    this.#max = options.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /** next is the delay before the next attempt. */
  next(): number {
    const base = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(base * (1 - 0.2 * this.#random()));
  }

  /** reset starts over from the initial delay. */
  reset(): void {
    this.#attempt = 0;
  }

  /** max is the longest delay. */
  get maxMs(): number {
    return this.#max;
  }
}
