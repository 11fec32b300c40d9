/**
 * MemoryReleaseSchedule decides when the agent gives its heap's slack back (releaseMemory: a
 * compacting full collection and malloc_trim, then a scavenge to shrink the young generation).
 * Two kinds of work leave slack behind:
 *
 * - **a long pass** (the first sync, a full resync, a map rebuild at thousands of Services):
 *   released `delayMs` after it, so its own follow-up (the fast path's index, the restart
 *   snapshots written SNAPSHOT_DELAY_MS after it) is garbage by then — later while `busy`
 *   says the snapshots are still being written;
 * - **a stream of small changes** (a rollout, a busy cluster): no change is a long pass, yet
 *   together they grow the young generation and fragment the old space (at 10,000 Services,
 *   6,000 changes took an agent from 151 to ~240 MB RSS; bench/README.md, churn-soak). Once the
 *   passes and changes since the last release add up to `afterWorkS` of work, the heap is
 *   released when they pause for `delayMs`, or at the latest `maxDelayMs` into a stream that
 *   never pauses — and only if worthReleasing finds slack: the release is a pause (80 ms at
 *   1,000 Services, more with the heap) not to be spent on a heap that holds none. So an idle agent's resyncs,
 *   which add up to `afterWorkS` in minutes, only buy a look at the heap's statistics.
 *
 * At most one release per `everyMs`. Timers are unref'd.
 */
import { QuietTimer } from "../datastore/quiet-timer.ts";
import { worthReleasing, type HeapSpace } from "./release-memory.ts";

/** ReleaseTiming: the thresholds and delays (the agent's are in agent.ts; tests use short ones). */
export interface ReleaseTiming {
  /** A pass at least this long (seconds) is released after on its own. */
  readonly afterPassS: number;
  /** Passes and changes adding up to this much work (seconds) make a stream worth judging. */
  readonly afterWorkS: number;
  /** After a long pass, or this long after a stream's last work. */
  readonly delayMs: number;
  /** Under a stream that never pauses, judged at the latest this long after it passed afterWorkS. */
  readonly maxDelayMs: number;
  /** At most one release per this long. */
  readonly everyMs: number;
}

/** What the schedule calls: the release itself, and V8's space statistics to judge the slack. */
export interface ReleaseActions {
  readonly release: (after: string) => void;
  /**
   * trim gives back malloc's free memory alone (malloc_trim: milliseconds, no collection), for a
   * stream whose V8 heap holds no slack: its file reads and map buffers are native (at 1,000
   * Services, 600 changes left ~30 MB of RSS outside a compact heap).
   */
  readonly trim: () => void;
  readonly heapSpaces: () => readonly HeapSpace[];
  /**
   * True while the pass's follow-up still makes garbage (the restart snapshots being written):
   * the release after a pass waits for it, up to maxDelayMs. At 100k Services the snapshots take
   * longer than delayMs, and a release before they finished left ~45 MB of their garbage behind.
   */
  readonly busy?: () => boolean;
}

/** While busy, the release after a pass looks again this often. */
const BUSY_RETRY_MS = 500;

/** MemoryReleaseSchedule is told each pass and each fast-path change, and calls release when due. */
export class MemoryReleaseSchedule {
  readonly #t: ReleaseTiming;
  readonly #a: ReleaseActions;
  readonly #stream: QuietTimer;
  #releasedAt: number | undefined;
  #workSinceRelease = 0;
  #passes = 0;
  /** The release after a long pass, and a stream's judgment put off until everyMs is up. */
  #passTimer: NodeJS.Timeout | undefined;
  #judgeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(timing: ReleaseTiming, actions: ReleaseActions) {
    this.#t = timing;
    this.#a = actions;
    this.#stream = new QuietTimer(() => this.#judgeStream(), {
      quietMs: timing.delayMs,
      maxDelayMs: timing.maxDelayMs,
    });
  }

  /** passed: a sync pass took `seconds`. The first pass and any long one are released after. */
  passed(seconds: number): void {
    if (this.#passes++ === 0 || seconds >= this.#t.afterPassS) this.#releaseAfterPass();
    else this.#worked(seconds);
  }

  /** changed: a fast-path change took `seconds`. */
  changed(seconds: number): void {
    this.#worked(seconds);
  }

  /** close drops every pending release (the agent stopping). */
  close(): void {
    this.#closed = true;
    this.#stream.cancel();
    clearTimeout(this.#passTimer);
    clearTimeout(this.#judgeTimer);
  }

  #recent(): boolean {
    return this.#releasedAt !== undefined && Date.now() - this.#releasedAt < this.#t.everyMs;
  }

  #releaseAfterPass(): void {
    if (this.#recent()) return;
    this.#releasedAt = Date.now();
    const due = Date.now() + this.#t.delayMs;
    this.#passTimer = unrefTimeout(this.#t.delayMs, () => this.#releaseWhenDone(due));
  }

  /** The release after a pass, once its follow-up is done or maxDelayMs after it was due. */
  #releaseWhenDone(due: number): void {
    if (this.#closed) return;
    if (this.#a.busy?.() === true && Date.now() - due < this.#t.maxDelayMs) {
      this.#passTimer = unrefTimeout(BUSY_RETRY_MS, () => this.#releaseWhenDone(due));
      return;
    }
    this.#release("a sync pass");
  }

  #worked(seconds: number): void {
    this.#workSinceRelease += seconds;
    if (this.#workSinceRelease >= this.#t.afterWorkS) this.#stream.touch();
  }

  /** The stream paused (or ran maxDelayMs): release if the heap holds slack. */
  #judgeStream(): void {
    if (this.#closed) return;
    if (this.#recent()) {
      // Released a moment ago (after a long pass): judged again once everyMs is up.
      clearTimeout(this.#judgeTimer);
      const wait = this.#t.everyMs - (Date.now() - this.#releasedAt!);
      this.#judgeTimer = unrefTimeout(wait, () => this.#judgeStream());
      return;
    }
    if (!worthReleasing(this.#a.heapSpaces())) {
      // No slack in the heap: the native side's only. The next judgment waits for as much work again.
      this.#workSinceRelease = 0;
      this.#a.trim();
      return;
    }
    this.#releasedAt = Date.now();
    this.#release("a stream of changes");
  }

  #release(after: string): void {
    if (this.#closed) return;
    this.#workSinceRelease = 0;
    this.#stream.cancel();
    this.#a.release(after);
  }
}

function unrefTimeout(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.max(0, ms));
  t.unref();
  return t;
}
