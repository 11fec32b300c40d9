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
 * queued in memory at once. Stamps are stat-off-thread.ts's (`ino:size:mtimeMs:ctimeMs`), of the
 * file opened, taken before the read: a file rewritten between the two has an older stamp than
 * its text, and is read again when the next event or rescan sees its new stamp.
 *
 * Bytes, not strings: a batch is the files' bytes in one ArrayBuffer, transferred (not copied),
 * and each text is decoded on this thread only when the parser asks for it. Texts sent as strings
 * were copied in by the message and then held by their batch until all 1,000 were parsed, so the
 * scavenger copied most of the 276 MB at 100k once more (and the worker spent its time decoding
 * and serialising them); a text made just before JSON.parse dies young (stop 32).
 *
 * The worker is evaluated from the source text below (as stat-off-thread.ts: no file to resolve
 * from a bundle). A failure to start, a failure in it, or no batch within `timeoutMs` throws from
 * the iterator: the caller scans on the main thread instead.
 */
import { MessageChannel, Worker } from "node:worker_threads";
import { isManifestFile } from "./manifest-directory.ts";
import { LIST_AND_STAMP_SOURCE } from "./stat-off-thread.ts";

/**
 * ReadBatch: manifest files in readdir order, each with its stamp and, decoded on demand, its
 * text — until the iteration moves on: its buffer then goes back to the worker for a later batch.
 */
export interface ReadBatch {
  readonly names: readonly string[];
  readonly stamps: readonly string[];
  /** The text of file `i`: made when asked, so it dies young once parsed (see the header). */
  text(i: number): string;
}

/** What the worker posts: the files' bytes back to back in one transferred buffer, and where each ends. */
interface PostedBatch {
  readonly names: string[];
  readonly stamps: string[];
  readonly ends: number[];
  readonly bytes: ArrayBuffer;
}

class ReceivedBatch implements ReadBatch {
  readonly names: readonly string[];
  readonly stamps: readonly string[];
  readonly #ends: readonly number[];
  readonly #bytes: Buffer;

  constructor(posted: PostedBatch) {
    this.names = posted.names;
    this.stamps = posted.stamps;
    this.#ends = posted.ends;
    this.#bytes = Buffer.from(posted.bytes);
  }

  text(i: number): string {
    return this.#bytes.toString("utf8", i === 0 ? 0 : this.#ends[i - 1], this.#ends[i]);
  }
}

/** Files per batch: ~1.4 MB of text at 10 endpoints a slice. */
export const READ_BATCH_FILES = 1000;
/** A batch's buffer; a batch is sent once it is this full (or holds READ_BATCH_FILES files). */
const BATCH_BYTES = 4 * 2 ** 20;
/**
 * Batches the worker may read ahead of the caller. 8, and a streamed listing (opendir) so the
 * first batch need not wait for the whole readdir, measured no faster at 100k (12.7-13.1 s vs
 * 11.9-12.5 s, alternating runs). The streamed listing alone, again at stop 32: slower (12.6-13.4
 * s vs 10.9 s to ready): opendir yields hash order, and reading the files in it rather than in
 * readdirSync's sorted order (here, the order they were written in) costs the worker more.
 */
const WINDOW = 2;

// The manifest-file rule is ManifestDirectory's own isManifestFile, by its source text (it
// refers to nothing outside itself).
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require("node:worker_threads");
const { readdirSync, openSync, fstatSync, readSync, closeSync, constants } = require("node:fs");
${LIST_AND_STAMP_SOURCE}
const { dir, batchFiles, window, taken, returned } = workerData;
const isManifest = ${isManifestFile.toString()};
// Non-blocking: a FIFO in the directory must not hold the open (it is then skipped: not a file).
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const BATCH_BYTES = ${BATCH_BYTES};
const names = listDirectory(dir);
// A buffer the caller is done with, back for the next batch; else a new one.
const nextBuffer = () => {
  const back = receiveMessageOnPort(returned);
  return back === undefined ? new Uint8Array(BATCH_BYTES) : new Uint8Array(back.message);
};
let sent = 0;
let bytes = nextBuffer();
let used = 0;
let batch = { names: [], stamps: [], ends: [] };
const room = (extra) => {
  if (used + extra <= bytes.length) return;
  const grown = new Uint8Array(Math.max(bytes.length * 2, used + extra));
  grown.set(bytes.subarray(0, used));
  bytes = grown;
};
const send = () => {
  // Wait while the caller is a window behind (it adds to taken[0] per batch it has handled). The
  // value waited on is the one compared, so a move by the caller in between returns at once
  // rather than after the 1 s safety timeout.
  for (let t = Atomics.load(taken, 0); sent - t >= window; t = Atomics.load(taken, 0)) Atomics.wait(taken, 0, t, 1000);
  const buffer = bytes.buffer;
  parentPort.postMessage({ ...batch, bytes: buffer }, [buffer]);
  sent++;
  bytes = nextBuffer();
  used = 0;
  batch = { names: [], stamps: [], ends: [] };
};
for (const name of names) {
  if (!isManifest(name)) continue;
  let fd;
  try {
    fd = openSync(dir + "/" + name, FLAGS);
  } catch (err) {
    if (err && err.code === "ENOENT") continue;
    throw err;
  }
  let st;
  try {
    // The stamp of the file opened, taken before its bytes are read.
    st = fstatSync(fd);
    if (!st.isFile()) continue;
    room(st.size + 1);
    for (;;) {
      room(1); // a file that grew since the fstat
      const n = readSync(fd, bytes, used, bytes.length - used, null);
      if (n === 0) break;
      used += n;
    }
  } finally {
    closeSync(fd);
  }
  batch.names.push(name);
  batch.stamps.push(stampOfStats(st));
  batch.ends.push(used);
  if (batch.names.length >= batchFiles || used >= BATCH_BYTES) send();
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
  // Buffers go back to the worker: a fresh 1.4 MB per batch cost ~0.45 s of page faults at 100k.
  const { port1: giveBack, port2: returned } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { dir, batchFiles, window, taken, returned },
    transferList: [returned],
    stdout: false,
    stderr: false,
  });
  // Messages and the end as one queue the generator drains.
  const queue: (PostedBatch | { done: true } | { error: Error })[] = [];
  let wake: (() => void) | undefined;
  const push = (m: PostedBatch | { done: true } | { error: Error }): void => {
    queue.push(m);
    wake?.();
  };
  worker.on("message", (m: PostedBatch | { done: true }) => push(m));
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
      yield new ReceivedBatch(m);
      giveBack.postMessage(m.bytes, [m.bytes]);
      Atomics.add(taken, 0, 1);
      Atomics.notify(taken, 0);
    }
  } finally {
    giveBack.close();
    void worker.terminate();
  }
}
