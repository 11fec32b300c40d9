/**
 * datastore-memory: what the datastore side of an agent holds and costs at N Services, in
 * process and without root — a FileDatastore's first scan of the datastore agent-idle writes
 * (N Services × M endpoints, one file per object), its events folded into a ClusterCache as the
 * agent does, then the heap retained by both (after gc) and the scan's time. The agent's own
 * figures (bench agent-idle) include the sync's state; this isolates the datastore's share, so
 * a change to it can be measured at a load where the agent's RSS is noise.
 *
 *   node --expose-gc --import tsx bench/datastore-memory.ts --services=10000 [--endpoints=10]
 *     [--dir=/tmp/ds-10k]         # reuse (or create) the datastore there instead of a temp dir
 *     [--heap=out.heapsnapshot]   # then write a heap snapshot (bench/heap-owners.ts reads it)
 *     [--profile=out.cpuprofile]  # a CPU profile of the scan (inspector, main thread)
 *     [--rounds=1]                # scans, each of a fresh FileDatastore (the figures of each)
 *     [--snapshot=index.json]     # with the index snapshot there (as the agent's restart): a
 *                                 # round after one that wrote it loads it instead of the files
 *
 * Not part of `npm run bench` (no table in bench/results/); bench/README.md quotes it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { performance } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";
import { ClusterCache } from "../src/datastore/cluster-cache.ts";
import { FileDatastore } from "../src/datastore/file-datastore.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import { syntheticServices } from "./synthetic-services.ts";

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc --import tsx");

function settledHeap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const services = Number(option("services") ?? 10_000);
const endpoints = Number(option("endpoints") ?? 10);
const given = option("dir");
const dir = given ?? mkdtempSync("/tmp/sl-t-datastore-memory-");
const rounds = Number(option("rounds") ?? 1);

async function writeDatastore(): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length > 0) return;
  mkdirSync(dir, { recursive: true });
  const list = syntheticServices({ count: services, endpointsPerService: endpoints, nodeName: "bench-node" });
  const docs = list.flatMap((s) => [serviceManifest(s), endpointSliceManifest(s)]);
  const store = new FileDatastore(dir);
  try {
    for (let i = 0; i < docs.length; i += 20_000) await store.applyBatch(docs.slice(i, i + 20_000));
  } finally {
    await store.close();
  }
}

/** scanOnce starts a FileDatastore over the directory and feeds a ClusterCache, as the agent does. */
async function scanOnce(
  profilePath: string | undefined,
): Promise<{ store: FileDatastore; cache: ClusterCache; ms: number }> {
  const session = profilePath !== undefined ? new Session() : undefined;
  if (session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const t0 = performance.now();
  const snapshot = option("snapshot");
  const store = new FileDatastore(dir, snapshot === undefined ? {} : { snapshot: { path: snapshot } });
  const cache = new ClusterCache();
  const watch = await store.watch((event) => void cache.apply(event));
  const ms = performance.now() - t0;
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(profilePath!, JSON.stringify(profile));
    session.disconnect();
  }
  watch.close();
  return { store, cache, ms };
}

async function main(): Promise<void> {
  await writeDatastore();
  const heapPath = option("heap");
  for (let round = 0; round < rounds; round++) {
    let held: Awaited<ReturnType<typeof scanOnce>> | undefined = await scanOnce(option("profile"));
    const { ms } = held;
    const generation = held.cache.generation;
    const reused = held.store.filesReused;
    const withStore = settledHeap();
    if (heapPath !== undefined && round === rounds - 1)
      console.log(`heap snapshot: ${writeHeapSnapshot(heapPath)}`);
    // Retained = the heap with the store and cache, less the heap once they are closed and gone
    // (the watcher's handle closes asynchronously: give it a moment before collecting).
    await held.store.close();
    held = undefined;
    await new Promise((r) => setTimeout(r, 200));
    const without = settledHeap();
    console.log(
      `round ${round + 1}: ${services} Services × ${endpoints}: scan + events ${ms.toFixed(0)} ms ` +
        `(${reused} files from the snapshot); ` +
        `retained heap ${((withStore - without) / 1e6).toFixed(1)} MB (ClusterCache generation ${generation})`,
    );
  }
}

try {
  await main();
} finally {
  if (given === undefined) rmSync(dir, { recursive: true, force: true });
}
