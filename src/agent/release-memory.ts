/**
 * releaseMemory gives the memory a large one-off piece of work left behind back to the kernel: a
 * full garbage collection that compacts the old space (V8 otherwise keeps the fragmented pages it
 * grew to, with no reason to move anything while the process is idle), then glibc's
 * malloc_trim(0) for the native buffers freed meanwhile (file reads, the collector's own work
 * lists). The agent runs it once after its first successful sync, when the start's transient data
 * — every manifest's text and parse, the maps' adoption, the first diff — is garbage.
 *
 * Measured at 10,000 Services × 10 endpoints (bench/README.md, agent-idle): the old space was
 * ~180 MB for ~125 MB of live objects and RSS ~320 MB; after this the old space is ~128 MB and
 * RSS ~255 MB. The collection is one pause of a few hundred ms at that size, paid once.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { mallocTrim } from "../kernel/libc.ts";

let collect: (() => void) | undefined;

/** ReleasedMemory: process.memoryUsage() around the collection, and how long it took. */
export interface ReleasedMemory {
  readonly before: NodeJS.MemoryUsage;
  readonly after: NodeJS.MemoryUsage;
  readonly ms: number;
}

/** releaseMemory collects and compacts the heap now and trims malloc's arenas. */
export function releaseMemory(): ReleasedMemory {
  const before = process.memoryUsage();
  const t0 = performance.now();
  if (collect === undefined) {
    // --expose-gc set at run time makes the next context get a gc(); the process's own
    // global stays as it was, so nothing else in the agent can call it.
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  // Compaction is what gives pages back; V8 only compacts the pages it judges fragmented
  // enough unless told to, and the flag is reset at once so later collections stay as usual.
  setFlagsFromString("--compact-on-every-full-gc");
  try {
    collect();
  } finally {
    setFlagsFromString("--no-compact-on-every-full-gc");
  }
  mallocTrim(0);
  return { before, after: process.memoryUsage(), ms: performance.now() - t0 };
}
