/**
 * FlowRecordStore holds the records the page shows: the agent's history (`GET /flows`) and what
 * the follow stream adds. The page opens the stream before it reads the history, so nothing
 * flushed in between is lost; a record that arrives both ways is kept once. The oldest records
 * leave first once `capacity` is reached, so a page left open for days stays small. Pure.
 */
import type { FlowRecordView } from "./flow-record-view.ts";

/** FlowRecordStore keeps unique records, oldest first (see the file comment). */
export class FlowRecordStore {
  readonly #capacity: number;
  #records: FlowRecordView[] = [];
  readonly #seen = new Set<string>();
  #evicted = 0;

  /** `capacity` is the most records kept. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`create flow record store: capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /** add keeps the records not seen before; returns how many were new. */
  add(records: readonly FlowRecordView[]): number {
    let added = 0;
    for (const r of records) {
      const key = JSON.stringify(r);
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      this.#records.push(r);
      added++;
    }
    const excess = this.#records.length - this.#capacity;
    if (excess > 0) {
      for (const r of this.#records.slice(0, excess)) this.#seen.delete(JSON.stringify(r));
      this.#records = this.#records.slice(excess);
      this.#evicted += excess;
    }
    return added;
  }

  /** records are the kept records, oldest first. */
  get records(): readonly FlowRecordView[] {
    return this.#records;
  }

  /** evicted counts the records dropped for capacity (the page says so). */
  get evicted(): number {
    return this.#evicted;
  }
}
