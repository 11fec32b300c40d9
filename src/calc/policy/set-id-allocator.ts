/**
 * SetIdAllocator hands out IP set ids. A set keeps its id while it exists; a freed id goes to
 * the back of a queue and is reused only once fresh ids run out, so an id seen in a BPF map a
 * moment ago does not suddenly mean another set. 0 is never used (a zeroed key is no set).
 */

/** SetIdAllocator allocates ids in [1, maxId]. */
export class SetIdAllocator {
  readonly #free: number[] = [];
  #next = 1;

  constructor(readonly maxId = 0xffff_ffff) {
    if (maxId < 1) throw new RangeError(`create set id allocator: bad maximum ${maxId}`);
  }

  /** allocate returns an unused id; throws when every id is taken. */
  allocate(): number {
    if (this.#next <= this.maxId) return this.#next++;
    const id = this.#free.shift();
    if (id === undefined) throw new RangeError(`allocate ip set id: all ${this.maxId} ids are in use`);
    return id;
  }

  /** release returns an id for later reuse. */
  release(id: number): void {
    this.#free.push(id);
  }
}
