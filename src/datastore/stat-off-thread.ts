/**
 * statOffThread lists a directory and stats every entry on a worker thread, returning each
 * entry's stamp as ManifestDirectory keeps it (`ino:size:mtimeMs:ctimeMs`, or "" for an entry
 * that is not a regular file or is gone). The first scan of a restart over a snapshot of 20,000
 * files starts it before parsing the snapshot: the stats (~0.13 s of the main thread at 10k
 * Services here) run on the other core while the main thread parses. Queueing 20,000 fs.stat
 * calls on libuv's pool instead cost the main thread more than statSync did (each request and
 * its callback's Stats object, measured: ~0.2 s vs ~0.13 s), hence one worker doing them all.
 *
 * The worker is evaluated from the source text below (no file to resolve: the agent runs from
 * an esbuild bundle or through tsx alike). A failure to start it, or in it, rejects: the caller
 * falls back to statting on the main thread.
 */
import { Worker } from "node:worker_threads";

/** DirectoryStamps: the directory's entries (all of them, unfiltered) and their stamps, in readdir order. */
export interface DirectoryStamps {
  readonly names: readonly string[];
  readonly stamps: readonly string[];
}

/**
 * stampOf is the stamp ManifestDirectory compares (LIST_AND_STAMP_SOURCE repeats this expression for the workers).
 * Joined, not a template literal: the reader keeps one per file, and V8 keeps a template's result
 * as a tree of concatenated pieces and number strings (~270 bytes a file, 5.4 MB of an agent's
 * heap at 10,000 Services), a join as one flat string (~72).
 */
export function stampOf(st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return [st.ino, st.size, st.mtimeMs, st.ctimeMs].join(":");
}

/**
 * LIST_AND_STAMP_SOURCE is worker source shared with read-off-thread.ts: `listDirectory(dir)`
 * (readdirSync; a missing directory is empty) and `stampOfStats(st)` (stampOf's expression).
 * Needs `readdirSync` in scope.
 */
export const LIST_AND_STAMP_SOURCE = `
const listDirectory = (dir) => {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (err && err.code === "ENOENT") return [];
    throw err;
  }
};
const stampOfStats = (st) => [st.ino, st.size, st.mtimeMs, st.ctimeMs].join(":");
`;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readdirSync, statSync } = require("node:fs");
${LIST_AND_STAMP_SOURCE}
const dir = workerData;
const names = listDirectory(dir);
const stamps = new Array(names.length);
for (let i = 0; i < names.length; i++) {
  const st = statSync(dir + "/" + names[i], { throwIfNoEntry: false });
  stamps[i] = st === undefined || !st.isFile() ? "" : stampOfStats(st);
}
parentPort.postMessage({ names, stamps });
`;

/**
 * statOffThread resolves with `dir`'s entries and stamps, taken on a worker thread; a missing
 * directory is empty. A worker that has not answered within `timeoutMs` (default 10 s; the
 * stats of 20,000 files take ~0.2 s) is terminated and the promise rejects: the caller stats
 * on the main thread instead of holding the agent's start.
 */
export function statOffThread(dir: string, timeoutMs = 10_000): Promise<DirectoryStamps> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: dir, stdout: false, stderr: false });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error(`stat ${JSON.stringify(dir)} on a worker: no answer after ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (): boolean => {
      clearTimeout(timer);
      if (settled) return false;
      settled = true;
      return true;
    };
    worker.once("message", (m: DirectoryStamps) => {
      if (settle()) resolve(m);
    });
    worker.once("error", (err) => {
      if (settle()) reject(err);
    });
    worker.once("exit", (code) => {
      if (settle()) reject(new Error(`stat ${JSON.stringify(dir)} on a worker: it exited with ${code}`));
    });
  });
}
