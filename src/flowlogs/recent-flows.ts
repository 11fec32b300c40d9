/**
 * RecentFlows keeps the last records in memory for `GET /flows` and tells followers about each
 * flushed batch (`GET /flows?follow=1`). Bounded: the oldest records go first.
 */
import type { FlowRecord } from "./flow-record.ts";

/** FlowSource is what the HTTP endpoint reads (tests give a fake). */
export interface FlowSource {
  recent(): readonly FlowRecord[];
  /** subscribe calls `fn` with every batch flushed from now on; the result unsubscribes. */
  subscribe(fn: (batch: readonly FlowRecord[]) => void): () => void;
}

export class RecentFlows implements FlowSource {
  readonly #max: number;
  #records: FlowRecord[] = [];
  readonly #followers = new Set<(batch: readonly FlowRecord[]) => void>();

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** push adds a flushed batch. */
  push(batch: readonly FlowRecord[]): void {
    if (batch.length === 0) return;
    this.#records.push(...batch);
    if (this.#records.length > this.#max) this.#records = this.#records.slice(-this.#max);
    for (const f of this.#followers) f(batch);
  }

  recent(): readonly FlowRecord[] {
    return this.#records;
  }

  subscribe(fn: (batch: readonly FlowRecord[]) => void): () => void {
    this.#followers.add(fn);
    return () => this.#followers.delete(fn);
  }
}
