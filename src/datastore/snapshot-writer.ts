/**
 * SnapshotWriter writes the agent's large restart snapshots (the datastore index, the NAT state:
 * ~20 MB each at 10k Services × 10 endpoints) without holding the event loop. Written in one go
 * they blocked it for up to 1.5 s at 10k, every few seconds while changes kept coming, and an
 * endpoint change that arrived meanwhile waited that long to reach the maps (bench/README.md,
 * scale: the change p99).
 *
 * How: the caller captures what it records at once — immutable references (resources and
 * per-Service results are replaced, never mutated, so a later change cannot tear the capture)
 * — and asciiJsonLines (ascii-json.ts) turns them into JSON a line at a time, each line written
 * to the temp file asynchronously before the next is made (so the loop turns between lines and
 * no whole-file string is ever built; a line's string dies young, where whole-file strings of
 * ~20 MB went to the large-object space and piled up until a full collection: the heap grew by
 * ~300 MB of them over 20 s of changes at 10k Services); then flush and rename, as
 * atomic-write.ts does. One write at a time per file: a write asked for while one runs follows
 * it, so an older capture never renames over a newer one. A synchronous write (the agent's
 * clean shutdown) abandons an unfinished asynchronous one before its rename.
 *
 * The temp files have fixed names per snapshot (one agent owns its state directory): a write
 * cut short by `kill -9` leaves at most one, which the next write replaces, instead of one
 * ~20 MB file per kill in the state directory's tmpfs.
 */
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { mkdirSync } from "node:fs";
import { atomicWriteFileAs } from "./atomic-write.ts";

/** Asynchronous writes asked for and not yet settled, over every SnapshotWriter of the process. */
let inFlight = 0;

/**
 * snapshotWritesInFlight counts the snapshot writes under way or queued: while there are any, their
 * serialisation's garbage is still being made, and a heap release would leave it behind (the
 * agent's release after its first pass waits for them; at 100k Services they take seconds).
 */
export function snapshotWritesInFlight(): number {
  return inFlight;
}

/** SnapshotWriter replaces one snapshot file, asynchronously and in order, or synchronously at shutdown. */
export class SnapshotWriter {
  readonly #tmp: string;
  /** writeNow's own temp file: an asynchronous write may still be filling #tmp from libuv's pool. */
  readonly #tmpNow: string;
  /** Bumped by every write: an asynchronous write whose turn has passed does not rename. */
  #generation = 0;
  #running: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    this.#tmp = join(dirname(path), `.${basename(path)}.tmp`);
    this.#tmpNow = join(dirname(path), `.${basename(path)}.now.tmp`);
  }

  /**
   * write replaces the file with `parts` (text, taken one part per turn of the loop as each is
   * written), after any write already running; a later write() or writeNow() supersedes one that
   * has not renamed yet. The parts must come from state captured when write() was called.
   * Resolves true when this write's file is in place, false when it was superseded; rejects with
   * what failed.
   */
  write(parts: Iterable<string>): Promise<boolean> {
    const generation = ++this.#generation;
    inFlight++;
    const run = this.#running
      .then(async () => {
        if (generation !== this.#generation) return false; // a later write supersedes this one
        return await this.#replace(parts, generation);
      })
      .finally(() => void inFlight--);
    this.#running = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** writeNow replaces the file at once; an unfinished write() gives way to it. */
  writeNow(text: string): void {
    this.#generation++;
    mkdirSync(dirname(this.path), { recursive: true });
    atomicWriteFileAs(this.path, this.#tmpNow, text);
  }

  /** idle resolves when no write() is running (tests, shutdown). */
  idle(): Promise<void> {
    return this.#running;
  }

  async #replace(parts: Iterable<string>, generation: number): Promise<boolean> {
    mkdirSync(dirname(this.path), { recursive: true });
    try {
      const fh = await open(this.#tmp, "w", 0o644);
      try {
        for (const part of parts) {
          if (generation !== this.#generation) break;
          await fh.write(part, null, "latin1");
        }
        if (generation === this.#generation) await fh.sync();
      } finally {
        await fh.close();
      }
      // Superseded (a later write or writeNow): that one's file stays.
      if (generation === this.#generation) {
        await rename(this.#tmp, this.path);
        return true;
      }
    } catch (err) {
      await rm(this.#tmp, { force: true });
      throw err;
    }
    await rm(this.#tmp, { force: true });
    return false;
  }
}
