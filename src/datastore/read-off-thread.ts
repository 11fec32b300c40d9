/**
 * readOffThread lists a directory, stats every entry and reads every manifest file on a worker
 * thread, handing the files to the caller in batches while it reads the next: a first scan with
 * nothing to reuse (a first start, or a restart whose snapshot another sluice version wrote — an
 * upgrade) parses and validates on the main thread while the other core does the I/O. At 100k
 * Services × 10 endpoints (200,000 files, 276 MB of text) the stats and reads were ~3.5 s of the
 * main thread here (1.0 s statSync, 2.5 s readFileSync); at 10k, ~0.35 s.
 *
 * Back-pressure: the worker reads at most WINDOW batches ahead of what the caller has taken (a
 * counter in shared memory, Atomics.wait), so a slow parser never has the directory's whole text
 * queued in memory at once. Stamps are stat-off-thread.ts's (`ino:size:mtimeMs:ctimeMs`), taken
 * before the read: a file rewritten between the two has an older stamp than its text, and is
 * read again when the next event or rescan sees its new stamp.
 *
 * The worker is evaluated from the source text below (as stat-off-thread.ts: no file to resolve
 * from a bundle). A failure to start, a failure in it, or no batch within `timeoutMs` throws from
 * the iterator: the caller scans on the main thread instead.
 */
import { Worker } from "node:worker_threads";
import { isManifestFile } from "./manifest-directory.ts";
import { LIST_AND_STAMP_SOURCE } from "./stat-off-thread.ts";

/** ReadBatch: manifest files in readdir order, each with its stamp and text. */
export interface ReadBatch {
  readonly names: readonly string[];
  readonly stamps: readonly string[];
  readonly texts: readonly string[];
}

/** Files per batch: ~1.4 MB of text at 10 endpoints a slice. */
export const READ_BATCH_FILES = 1000;
/**
 * Batches the worker may read ahead of the caller. 8, and a streamed listing (opendir) so the
 * first batch need not wait for the whole readdir, measured no faster at 100k (12.7-13.1 s vs
 * 11.9-12.5 s, alternating runs).
 */
const WINDOW = 2;

// The manifest-file rule is ManifestDirectory's own isManifestFile, by its source text (it
// refers to nothing outside itself).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readdirSync, statSync, readFileSync } = require("node:fs");
${LIST_AND_STAMP_SOURCE}
const { dir, batchFiles, window, taken } = workerData;
const isManifest = ${isManifestFile.toString()};
const names = listDirectory(dir);
let sent = 0;
let batch = { names: [], stamps: [], texts: [] };
const send = () => {
  // Wait while the caller is a window behind (it adds to taken[0] per batch it has handled). The
  // value waited on is the one compared, so a move by the caller in between returns at once
  // rather than after the 1 s safety timeout.
  for (let t = Atomics.load(taken, 0); sent - t >= window; t = Atomics.load(taken, 0)) Atomics.wait(taken, 0, t, 1000);
  parentPort.postMessage(batch);
  sent++;
  batch = { names: [], stamps: [], texts: [] };
};
for (const name of names) {
  if (!isManifest(name)) continue;
  const path = dir + "/" + name;
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) continue;
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err && err.code === "ENOENT") continue;
    throw err;
  }
  batch.names.push(name);
  batch.stamps.push(stampOfStats(st));
  batch.texts.push(text);
  if (batch.names.length >= batchFiles) send();
}
if (batch.names.length > 0) send();
parentPort.postMessage({ done: true });
`;

/**
 * readOffThread yields `dir`'s manifest files in batches read on a worker thread; a missing
 * directory yields nothing. Throws when the worker cannot start, fails, or sends nothing for
 * `timeoutMs` (default 10 s); the worker is ended when the caller stops iterating, at the end or
 * early.
 */
export async function* readOffThread(
  dir: string,
  timeoutMs = 10_000,
  batchFiles = READ_BATCH_FILES,
  window = WINDOW,
): AsyncGenerator<ReadBatch> {
  const taken = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { dir, batchFiles, window, taken },
    stdout: false,
    stderr: false,
  });
  // Messages and the end as one queue the generator drains.
  const queue: (ReadBatch | { done: true } | { error: Error })[] = [];
  let wake: (() => void) | undefined;
  const push = (m: ReadBatch | { done: true } | { error: Error }): void => {
    queue.push(m);
    wake?.();
  };
  worker.on("message", (m: ReadBatch | { done: true }) => push(m));
  worker.once("error", (err) => push({ error: err }));
  worker.once("exit", (code) =>
    push({ error: new Error(`read ${JSON.stringify(dir)} on a worker: it exited with ${code}`) }),
  );
  try {
    for (;;) {
      if (queue.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
        wake = undefined;
        if (queue.length === 0)
          throw new Error(`read ${JSON.stringify(dir)} on a worker: no batch after ${timeoutMs} ms`);
      }
      const m = queue.shift()!;
      if ("error" in m) throw m.error;
      if ("done" in m) return;
      yield m;
      Atomics.add(taken, 0, 1);
      Atomics.notify(taken, 0);
    }
  } finally {
    void worker.terminate();
  }
}
