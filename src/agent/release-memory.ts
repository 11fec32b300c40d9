/**
 * releaseMemory gives the memory a large one-off piece of work left behind back to the kernel: a
 * full garbage collection that compacts the old space (V8 otherwise keeps the fragmented pages it
 * grew to, with no reason to move anything while the process is idle), then glibc's
 * malloc_trim(0) for the native buffers freed meanwhile (file reads, the collector's own work
 * lists). The agent runs it after its first successful sync, when the start's transient data
 * — every manifest's text and parse, the maps' adoption, the first diff — is garbage, and
 * after long passes and streams of changes (memory-release-schedule.ts decides when).
 *
 * Measured at 10,000 Services × 10 endpoints (bench/README.md, agent-idle): the old space was
 * ~180 MB for ~125 MB of live objects and RSS ~320 MB; after this the old space is ~128 MB and
 * RSS ~255 MB. The collection is one pause of a few hundred ms at that size, paid once.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { mallocTrim } from "../kernel/libc.ts";

/** V8's gc extension: a full collection by default, a scavenge with `{ type: "minor" }`. */
type Collect = (options?: { type: "minor" | "major" }) => void;
let collect: Collect | undefined;

/**
 * collector returns a gc() for the agent's use only: --expose-gc set at run time
 * makes the next context get one, and the process's own global stays as it was, so nothing else
 * in the agent can call it. The flag is cleared again at once: V8 stamps a code cache with a
 * hash of the flags set, so a cache the agent writes with --expose-gc on would be refused by the
 * next start (bin/code-cache.js), which has it off.
 */
function collector(): Collect {
  if (collect === undefined) {
    setFlagsFromString("--expose-gc");
    try {
      collect = runInNewContext("gc") as Collect;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  return collect;
}

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
  const collectNow = collector();
  // Compaction is what gives pages back; V8 only compacts the pages it judges fragmented
  // enough unless told to, and the flag is reset at once so later collections stay as usual.
  setFlagsFromString("--compact-on-every-full-gc");
  try {
    collectNow();
  } finally {
    setFlagsFromString("--no-compact-on-every-full-gc");
  }
  mallocTrim(0);
  return { before, after: process.memoryUsage(), ms: performance.now() - t0 };
}

/** ShrunkYoungGeneration: the young generation's (new space's) committed size around a scavenge. */
export interface ShrunkYoungGeneration {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
}

/**
 * shrinkYoungGeneration runs one scavenge so V8 can shrink the young generation. V8 grows it
 * (two semi-spaces, up to 16 MB each) during a burst of allocation such as the start's, and
 * shrinks it only in a collection that finds the allocation rate of the last ~5 s low. An idle
 * agent allocates so little that its next scavenge may be minutes away, and releaseMemory's
 * full collection runs seconds after the burst, when the rate is still high: so the 32 MB the
 * start touched stayed resident (~20 MB of RSS at 10,000 Services, bench/README.md). Run it
 * once the allocation has been quiet for longer than that window; when it has not, V8 keeps the
 * size and this was one cheap scavenge.
 */
export function shrinkYoungGeneration(): ShrunkYoungGeneration {
  const beforeBytes = newSpaceBytes();
  const rssBefore = process.memoryUsage.rss();
  collector()({ type: "minor" });
  return { beforeBytes, afterBytes: newSpaceBytes(), rssBefore, rssAfter: process.memoryUsage.rss() };
}

/** A young generation this small is at (or near) V8's floor: nothing left to shrink. */
const SMALL_YOUNG_GENERATION_BYTES = 4 * 2 ** 20;

/** ShrinkSchedule: when to try, how often, and whom to tell. */
export interface ShrinkSchedule {
  /** Longer than V8's ~5 s allocation window. */
  readonly delayMs: number;
  readonly tries: number;
  /** True once the caller is gone (an agent stopping): no more tries. */
  readonly stopped: () => boolean;
  readonly done: (result: ShrunkYoungGeneration, tries: number) => void;
}

/**
 * shrinkYoungGenerationWhenQuiet runs shrinkYoungGeneration `delayMs` from now and, while V8
 * kept the size (the allocation had not been quiet for its whole window: a change, a snapshot,
 * a sweep), again after as long, up to `tries` times. Timers are unref'd: they never hold the
 * process.
 */
export function shrinkYoungGenerationWhenQuiet(schedule: ShrinkSchedule, tried = 0): void {
  setTimeout(() => {
    if (schedule.stopped()) return;
    const r = shrinkYoungGeneration();
    const settled = r.afterBytes < r.beforeBytes || r.beforeBytes <= SMALL_YOUNG_GENERATION_BYTES;
    if (settled || tried + 1 >= schedule.tries) schedule.done(r, tried + 1);
    else shrinkYoungGenerationWhenQuiet(schedule, tried + 1);
  }, schedule.delayMs).unref();
}

/** The V8 space statistics worthReleasing reads (node:v8 getHeapSpaceStatistics()). */
export interface HeapSpace {
  readonly space_name: string;
  readonly space_size: number;
  readonly space_used_size: number;
}

/** A young generation above this is one a burst grew: worth a scavenge to shrink. */
export const GROWN_YOUNG_GENERATION_BYTES = 2 * SMALL_YOUNG_GENERATION_BYTES;
/** Old-space pages committed beyond its live objects worth a compaction: this much, and ... */
export const OLD_SPACE_SLACK_BYTES = 16 * 2 ** 20;
/** ... this share of what is live (a big heap's normal headroom is not slack). */
export const OLD_SPACE_SLACK_SHARE = 0.25;

/**
 * worthReleasing says whether releaseMemory would give back enough to pay for its full
 * collection: a young generation a burst grew and left grown, or an old space holding more than
 * OLD_SPACE_SLACK_BYTES and OLD_SPACE_SLACK_SHARE of its live size in pages nothing fills —
 * what a stream of small changes leaves behind (memory-release-schedule.ts).
 */
export function worthReleasing(spaces: readonly HeapSpace[]): boolean {
  const young = spaces.find((s) => s.space_name === "new_space");
  const old = spaces.find((s) => s.space_name === "old_space");
  if (young !== undefined && young.space_size > GROWN_YOUNG_GENERATION_BYTES) return true;
  if (old === undefined) return false;
  const slack = old.space_size - old.space_used_size;
  return slack > OLD_SPACE_SLACK_BYTES && slack > old.space_used_size * OLD_SPACE_SLACK_SHARE;
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}
