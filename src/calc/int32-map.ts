/**
 * Int32Map: a map from 32-bit integers to positive 32-bit integers, in two typed arrays (open
 * addressing, linear probing, deletion by backward shift: no tombstones). A JS Map of a million
 * small integers holds ~36 bytes an entry in its hash table; here an entry is 8 bytes in a table
 * kept at most half full: ~16 MB for the 1M backends of 100k Services (ServingCounts), and no
 * object for the GC to trace. No npm package does this without boxing or a dependency tree
 * larger than the 70 lines here. Pure.
 */

const MIN_CAPACITY = 16;

/** Int32Map maps int32 keys to values in [1, 2^31): 0 is "absent", so it is not a value. */
export class Int32Map {
  #keys = new Int32Array(MIN_CAPACITY);
  #values = new Int32Array(MIN_CAPACITY);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** get is the value at `key`, or 0 when there is none. */
  get(key: number): number {
    key |= 0;
    const mask = this.#keys.length - 1;
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const v = this.#values[i]!;
      if (v === 0) return 0;
      if (this.#keys[i] === key) return v;
    }
  }

  /** set puts `value` (an integer in [1, 2^31)) at `key`. */
  set(key: number, value: number): void {
    if (!(value >= 1 && value < 2 ** 31 && Number.isInteger(value)))
      throw new RangeError(`Int32Map: value ${value} is not an integer in [1, 2^31)`);
    if ((this.#size + 1) * 2 > this.#keys.length) this.#resize(this.#keys.length * 2);
    const mask = this.#keys.length - 1;
    key |= 0;
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      if (this.#values[i] === 0) {
        this.#keys[i] = key;
        this.#values[i] = value;
        this.#size++;
        return;
      }
      if (this.#keys[i] === key) {
        this.#values[i] = value;
        return;
      }
    }
  }

  /** delete removes `key`; true when it was there. */
  delete(key: number): boolean {
    key |= 0;
    const keys = this.#keys;
    const values = this.#values;
    const mask = keys.length - 1;
    let i = slotOf(key, mask);
    for (; ; i = (i + 1) & mask) {
      if (values[i] === 0) return false;
      if (keys[i] === key) break;
    }
    // Backward shift: move each later entry of the run into the hole when its home slot is not
    // between the hole and it (cyclically), so every entry stays reachable from its home.
    let hole = i;
    for (let j = (i + 1) & mask; values[j] !== 0; j = (j + 1) & mask) {
      const home = slotOf(keys[j]!, mask);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        values[hole] = values[j]!;
        hole = j;
      }
    }
    values[hole] = 0;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#keys = new Int32Array(MIN_CAPACITY);
    this.#values = new Int32Array(MIN_CAPACITY);
    this.#size = 0;
  }

  #resize(capacity: number): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Int32Array(capacity);
    this.#values = new Int32Array(capacity);
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) if (values[i] !== 0) this.set(keys[i]!, values[i]!);
  }
}

/** slotOf is `key`'s home slot: every bit of the key mixed into every bit, so near addresses spread out. */
function slotOf(key: number, mask: number): number {
  let h = Math.imul(key ^ (key >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) & mask;
}
