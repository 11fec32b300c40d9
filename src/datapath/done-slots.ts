/**
 * DoneSlots hands out the sl_pol_jump slots of the continuation range
 * (SL_POL_SLOT_DONE_FIRST..SL_POL_SLOT_DONE_LAST, bpf/include/abi.h): one per attached interface,
 * whose pol_done program a policy program tail-calls once it decided. A re-attach takes a fresh
 * slot and frees the old one only after the swap, so an interface briefly holds two. Pure.
 */
import { SL_POL_SLOT_DONE_FIRST, SL_POL_SLOT_DONE_LAST } from "./abi/abi.ts";

export class DoneSlots {
  readonly #used = new Set<number>();
  /** Where the next search starts: a just-freed slot is not handed out again at once. */
  #next: number;

  constructor(
    readonly first = SL_POL_SLOT_DONE_FIRST,
    readonly last = SL_POL_SLOT_DONE_LAST,
  ) {
    if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 1 && first <= last)) {
      throw new Error(`done slots: bad range ${first}..${last}`);
    }
    this.#next = first;
  }

  /** used is how many slots are taken. */
  get used(): number {
    return this.#used.size;
  }

  /** has tells whether `slot` is taken. */
  has(slot: number): boolean {
    return this.#used.has(slot);
  }

  /**
   * allocate takes a free slot, searching round-robin from after the last one handed out: a slot
   * freed a moment ago is the last to come back, so a stale reader of it (a packet that saved the
   * old slot) never finds another interface's continuation there. Throws when the range is full.
   */
  allocate(): number {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const slot = this.first + ((this.#next - this.first + i) % size);
      if (this.#used.has(slot)) continue;
      this.#used.add(slot);
      this.#next = slot === this.last ? this.first : slot + 1;
      return slot;
    }
    throw new Error(`allocate done slot: all ${size} slots ${this.first}..${this.last} are in use`);
  }

  /** reserve marks a slot an earlier agent left in use (adoption); false when taken or out of range. */
  reserve(slot: number): boolean {
    if (!this.#inRange(slot) || this.#used.has(slot)) return false;
    this.#used.add(slot);
    return true;
  }

  /** free returns a slot; freeing one that is not taken is a bug in the caller, so it throws. */
  free(slot: number): void {
    if (!this.#used.delete(slot)) throw new Error(`done slots: slot ${slot} freed but not allocated`);
  }

  #inRange(slot: number): boolean {
    return Number.isInteger(slot) && slot >= this.first && slot <= this.last;
  }
}
