/**
 * PolicySlots hands out runs of contiguous prog-array slots to policy programs: chunk i of a
 * program lives at base + i (compilePolicy's contract), so a program needs one unbroken run.
 * It is parametric on the range so the XDP prog array (doNotTrack) can have its own.
 */
export class PolicySlots {
  readonly #used: Uint8Array;
  #count = 0;

  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    if (!(Number.isInteger(first) && Number.isInteger(last) && first <= last)) {
      throw new Error(`policy slots: bad range ${first}..${last}`);
    }
    this.#used = new Uint8Array(last - first + 1);
  }

  /** used is how many slots are taken (a metric). */
  get used(): number {
    return this.#count;
  }

  /** allocate takes the first free run of n slots (first fit) and returns its base, or undefined when none is free. */
  allocate(n: number): number | undefined {
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`policy slots: bad run length ${n}`);
    let run = 0;
    for (let i = 0; i < this.#used.length; i++) {
      run = this.#used[i] ? 0 : run + 1;
      if (run === n) {
        const start = i - n + 1;
        this.#used.fill(1, start, i + 1);
        this.#count += n;
        return this.first + start;
      }
    }
    return undefined;
  }

  /** reserve marks given slots used (adoption of what a previous agent left); false if one is taken or out of range. */
  reserve(base: number, n: number): boolean {
    const start = base - this.first;
    if (start < 0 || base + n - 1 > this.last) return false;
    if (this.#used.subarray(start, start + n).some((b) => b !== 0)) return false;
    this.#used.fill(1, start, start + n);
    this.#count += n;
    return true;
  }

  /** free returns a run; freeing a slot that is not taken is a bug in the caller, so it throws. */
  free(base: number, n: number): void {
    const start = base - this.first;
    // Check the whole run before changing any of it: a bad free leaves the allocator as it was.
    for (let i = start; i < start + n; i++) {
      if (i < 0 || i >= this.#used.length || !this.#used[i]) {
        throw new Error(`policy slots: slot ${this.first + i} freed but not allocated`);
      }
    }
    this.#used.fill(0, start, start + n);
    this.#count -= n;
  }
}
