/**
 * churn-soak: an agent at N Services × M endpoints under minutes of cluster churn — endpoints
 * moving, slices scaling, Services created, deleted and edited (churn-ops.ts), written into the
 * datastore as `sluice apply` writes them, `rate` a second — and then checked:
 *
 * - **memory over time**: the heap after a full GC (a heap snapshot forces one) after the churn
 *   against the same state restarted (growth per 1,000 changes is what a leak would show), and
 *   the RSS through the churn — sampled clean: no heap snapshot is taken before the churn unless
 *   asked (`--heapBefore=true`), since writing one leaves hundreds of MB of native memory behind;
 * - **the maps after thousands of incremental changes**: every live Service of the model has its
 *   frontend in sl_nat_fe and exactly its endpoints in sl_nat_be; then the agent is killed and a
 *   fresh one (no snapshots) adopts the maps and reports what it had to write — it computes
 *   every Service from scratch, so anything but 0 is state the incremental path got wrong; a
 *   restart over the snapshots must write nothing either;
 * - **the check can fail**: one sl_nat_be entry is then overwritten, and the fresh agent must
 *   find and rewrite exactly it;
 * - sync errors (none), and the agent's CPU to keep up.
 *
 * Needs root (an agent in a throwaway netns with its own bpffs root, as ScaleAgent runs it).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { BpfMap } from "../src/bpf/map.ts";
import { mapPinPath } from "../src/datapath/datapath-maps.ts";
import { NatBackendMap, NatFrontendMap } from "../src/datapath/maps/index.ts";
import { atomicWriteFile } from "../src/datastore/atomic-write.ts";
import { FileDatastore, newFileName } from "../src/datastore/file-datastore.ts";
import { renderJsonManifest } from "../src/datastore/manifest-file-edit.ts";
import { heapSnapshot, prebuildBundle } from "./agent-idle-bench.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { ChurnModel, serviceDocument, type ChurnKind, type ChurnService } from "./churn-ops.ts";
import { natStartOf, natWritesOf } from "./nat-start-line.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { ScaleAgent } from "./scale-agent.ts";
import { endpointSliceManifest } from "./service-manifests.ts";
import { intToIpv4, ipv4ToInt, syntheticServices } from "./synthetic-services.ts";
import { RESULTS_DIR } from "./write-result.ts";

const NODE = "bench-node";
/** After the start (snapshots, memory release) and after the churn, before measuring. */
const SETTLE_MS = 12_000;
/** How often the heap and RSS are sampled during the churn. */
const SAMPLE_MS = 10_000;
const TCP = 6;

/** ChurnSoakOptions: the cluster's size, the churn's length, rate and seed. */
interface ChurnSoakOptions {
  readonly [key: string]: number | boolean;
  readonly services: number;
  readonly endpoints: number;
  readonly seconds: number;
  /** Changes per second (each one operation of churn-ops.ts: one or two manifests). */
  readonly rate: number;
  readonly seed: number;
  /** Keep the heap snapshots under bench/results/ (for bench/heap-owners.ts: what the history holds). */
  readonly heap: boolean;
  /**
   * Also take the heap after GC before the churn. Off by default: the snapshot that forces the GC
   * leaves ~0.5 GB of native memory in the agent, so the RSS samples through the churn would
   * measure its aftermath instead of the agent.
   */
  readonly heapBefore: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One sample during the churn. */
interface Sample {
  readonly at: number;
  readonly changes: number;
  readonly heapMb: number;
  readonly rssMb: number;
  /** The agent's CPU since the previous sample, % of a core: what a change costs as the history grows. */
  readonly cpuPct: number;
}

interface SoakFigures {
  readonly n: number;
  readonly changes: number;
  readonly kinds: ReadonlyMap<ChurnKind, number>;
  readonly churnSeconds: number;
  readonly behindMs: number;
  readonly cpuPct: number;
  /** NaN unless `heapBefore`. */
  readonly heapBeforeMb: number;
  readonly heapAfterMb: number;
  /** The agent restarted over the churned datastore and its snapshots: the same state, no history. */
  readonly heapRestartedMb: number;
  /** RSS before the churn, after it (before any heap snapshot of that process) and of the agent restarted. */
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly rssRestartedMb: number;
  readonly samples: readonly Sample[];
  readonly liveServices: number;
  readonly mapMismatches: readonly string[];
  readonly syncErrors: number;
  readonly snapshotRestartWrites: number | undefined;
  readonly snapshotRestartStart: string;
  readonly freshWrites: number | undefined;
  readonly corruptedWrites: number | undefined;
  readonly corruptedRepaired: boolean;
}

/** heapAfterGc: the agent's heap used right after the full GC of a heap snapshot (the file is removed). */
async function heapAfterGc(
  ctx: BenchContext,
  agent: ScaleAgent,
  dir: string,
  keep: boolean,
): Promise<number> {
  const file = await heapSnapshot(ctx, agent.pid, dir);
  const heap = (agent.metric("sluice_agent_nodejs_heap_size_used_bytes") ?? NaN) / 1e6;
  if (!keep) rmSync(file, { force: true });
  return heap;
}

/** fileOf: the datastore file of a key, as the file datastore names it. */
function fileOf(
  datastore: string,
  key: { group: string; kind: string; namespace: string; name: string },
): string {
  return `${datastore}/${newFileName(key)}`;
}

/**
 * mapMismatches checks the pinned NAT maps against the model: each live Service's frontend is in
 * sl_nat_fe with as many backends as it has endpoints, and sl_nat_be holds exactly those
 * addresses. The first few differences, named.
 */
function mapMismatches(pinDir: string, services: readonly ChurnService[]): string[] {
  const fe = BpfMap.openPinned(mapPinPath(pinDir, "sl_nat_fe"), "sl_nat_fe");
  const be = BpfMap.openPinned(mapPinPath(pinDir, "sl_nat_be"), "sl_nat_be");
  const out: string[] = [];
  try {
    const feMap = new NatFrontendMap(fe);
    const beMap = new NatBackendMap(be);
    for (const s of services) {
      if (out.length >= 5) break;
      const svc = feMap.get({ addr: s.clusterIP, port: s.port, proto: TCP });
      if (svc === undefined) {
        out.push(`${s.name}: no frontend ${s.clusterIP}:${s.port}`);
        continue;
      }
      const got: string[] = [];
      for (let i = 0; i < svc.count; i++) {
        const b = beMap.get(svc.svcId, i);
        got.push(b === undefined ? "(missing)" : `${b.addr}:${b.port}`);
      }
      const want = s.endpoints.map((a) => `${a}:${s.targetPort}`);
      if ([...got].sort().join(",") !== [...want].sort().join(","))
        out.push(`${s.name}: backends ${got.join(",")} where the model has ${want.join(",")}`);
    }
  } finally {
    fe.close();
    be.close();
  }
  return out;
}

/** corruptOne overwrites backend 0 of `s` in sl_nat_be; returns what was there. */
function corruptOne(pinDir: string, s: ChurnService): { svcId: number; addr: string; port: number } {
  const fe = BpfMap.openPinned(mapPinPath(pinDir, "sl_nat_fe"), "sl_nat_fe");
  const be = BpfMap.openPinned(mapPinPath(pinDir, "sl_nat_be"), "sl_nat_be");
  try {
    const svc = new NatFrontendMap(fe).get({ addr: s.clusterIP, port: s.port, proto: TCP });
    if (svc === undefined) throw new Error(`churn-soak: corrupt ${s.name}: no frontend in sl_nat_fe`);
    const beMap = new NatBackendMap(be);
    const was = beMap.get(svc.svcId, 0);
    if (was === undefined) throw new Error(`churn-soak: corrupt ${s.name}: no backend 0 in sl_nat_be`);
    beMap.set(svc.svcId, 0, { addr: "198.18.255.254", port: 1 });
    return { svcId: svc.svcId, ...was };
  } finally {
    fe.close();
    be.close();
  }
}

function backendAt(pinDir: string, svcId: number): string {
  const be = BpfMap.openPinned(mapPinPath(pinDir, "sl_nat_be"), "sl_nat_be");
  try {
    const b = new NatBackendMap(be).get(svcId, 0);
    return b === undefined ? "(missing)" : `${b.addr}:${b.port}`;
  } finally {
    be.close();
  }
}

async function soak(ctx: BenchContext, o: ChurnSoakOptions): Promise<SoakFigures> {
  const n = o.services;
  const work = mkdtempSync("/tmp/sl-t-churn-");
  const datastore = `${work}/datastore`;
  const heapDir = o.heap
    ? `${RESULTS_DIR}churn-soak-${n}-${new Date().toISOString().replace(/[:.]/g, "-")}`
    : `${work}/heap`;
  mkdirSync(datastore);
  mkdirSync(heapDir, { recursive: true });
  const agent = new ScaleAgent({
    datastore,
    nodeName: NODE,
    readyTimeoutMs: 600_000,
    logLevel: "info",
    nodeArgs: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${heapDir}`],
  });
  try {
    const base = syntheticServices({ count: n, endpointsPerService: o.endpoints, nodeName: NODE });
    ctx.progress(`churn-soak N=${n}: writing ${2 * n} objects into the datastore`);
    const store = new FileDatastore(datastore);
    try {
      const docs = base.flatMap((s) => [
        serviceDocument({ ...s, clientIpAffinity: false }),
        endpointSliceManifest(s),
      ]);
      for (let i = 0; i < docs.length; i += 20_000) await store.applyBatch(docs.slice(i, i + 20_000));
    } finally {
      await store.close();
    }
    // Fresh endpoints and ClusterIPs past the synthetic ones, so no slice gets an address twice.
    const lastEndpoint = ipv4ToInt(base.at(-1)?.endpoints.at(-1) ?? "198.19.0.1");
    const model = new ChurnModel({
      services: base,
      seed: o.seed,
      endpointBase: intToIpv4(((lastEndpoint >>> 8) + 1) * 256 + 1),
      clusterIpBase: intToIpv4(ipv4ToInt(base.at(-1)?.clusterIP ?? "198.18.128.0") + 1),
    });
    prebuildBundle(new URL("..", import.meta.url).pathname);
    ctx.progress(`churn-soak N=${n}: agent start`);
    await agent.start();
    await sleep(SETTLE_MS);
    // RSS first: writing a heap snapshot leaves native memory of its own in the process.
    const rssBeforeMb = agent.rssBytes() / 1e6;
    const heapBeforeMb = o.heapBefore ? await heapAfterGc(ctx, agent, heapDir, o.heap) : NaN;
    const heapBefore = o.heapBefore ? `heap ${heapBeforeMb.toFixed(0)} MB after GC, ` : "";
    ctx.progress(
      `churn-soak N=${n}: ${heapBefore}RSS ${rssBeforeMb.toFixed(0)} MB; ${o.seconds} s of churn at ${o.rate}/s`,
    );

    const total = Math.round(o.seconds * o.rate);
    const kinds = new Map<ChurnKind, number>();
    const samples: Sample[] = [];
    const cpu0 = agent.cpuSeconds();
    const t0 = performance.now();
    let nextSample = t0 + SAMPLE_MS;
    let lastCpu = { at: t0, seconds: cpu0 };
    let behindMs = 0;
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      else behindMs = Math.max(behindMs, now - due);
      const op = model.next();
      kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
      for (const k of op.deletes) rmSync(fileOf(datastore, k), { force: true });
      for (const doc of op.writes) {
        const meta = doc["metadata"] as { namespace: string; name: string };
        const group = String(doc["apiVersion"]).includes("/") ? String(doc["apiVersion"]).split("/")[0]! : "";
        const key = { group, kind: String(doc["kind"]), namespace: meta.namespace, name: meta.name };
        atomicWriteFile(fileOf(datastore, key), renderJsonManifest(doc));
      }
      if (performance.now() >= nextSample) {
        nextSample += SAMPLE_MS;
        const heapMb = (agent.metric("sluice_agent_nodejs_heap_size_used_bytes") ?? NaN) / 1e6;
        const cpu = { at: performance.now(), seconds: agent.cpuSeconds() };
        const cpuPct = ((cpu.seconds - lastCpu.seconds) / ((cpu.at - lastCpu.at) / 1000)) * 100;
        lastCpu = cpu;
        const s = {
          at: (performance.now() - t0) / 1000,
          changes: i + 1,
          heapMb,
          rssMb: agent.rssBytes() / 1e6,
          cpuPct,
        };
        samples.push(s);
        ctx.progress(
          `churn-soak N=${n}: ${s.changes}/${total} changes, ${s.at.toFixed(0)} s; heap ${heapMb.toFixed(0)} MB, RSS ${s.rssMb.toFixed(0)} MB, CPU ${cpuPct.toFixed(1)} %`,
        );
      }
    }
    const churnSeconds = (performance.now() - t0) / 1000;
    const cpuPct = ((agent.cpuSeconds() - cpu0) / churnSeconds) * 100;
    await sleep(SETTLE_MS);
    const rssAfterMb = agent.rssBytes() / 1e6;
    const heapAfterMb = await heapAfterGc(ctx, agent, heapDir, o.heap);
    const syncErrors = agent.metric('sluice_syncs_total{result="error"}') ?? 0;
    const live = model.services();
    ctx.progress(`churn-soak N=${n}: checking ${live.length} Services against sl_nat_fe / sl_nat_be`);
    const mismatches = mapMismatches(agent.pinDir, live);

    ctx.progress(`churn-soak N=${n}: kill -9, restart over the snapshots`);
    await agent.kill();
    await agent.start();
    const snapLog = agent.logText();
    const snapshotRestartWrites = natWritesOf(snapLog);
    const snapshotRestartStart = natStartOf(snapLog);
    // The same cluster without the churn's history: what the churned agent should hold.
    await sleep(SETTLE_MS);
    const rssRestartedMb = agent.rssBytes() / 1e6;
    const heapRestartedMb = await heapAfterGc(ctx, agent, heapDir, o.heap);
    ctx.progress(`churn-soak N=${n}: kill -9, a fresh agent (no snapshots) adopts the maps`);
    await agent.kill();
    await agent.start({ snapshots: false });
    const freshWrites = natWritesOf(agent.logText());

    // The check must be able to fail: break one entry and see the fresh agent rewrite it.
    const victim = live[Math.floor(live.length / 2)]!;
    await agent.kill();
    const was = corruptOne(agent.pinDir, victim);
    ctx.progress(`churn-soak N=${n}: overwrote backend 0 of ${victim.name}; a fresh agent again`);
    await agent.start({ snapshots: false });
    const corruptedWrites = natWritesOf(agent.logText());
    const corruptedRepaired = backendAt(agent.pinDir, was.svcId) === `${was.addr}:${was.port}`;
    return {
      n,
      changes: total,
      kinds,
      churnSeconds,
      behindMs,
      cpuPct,
      heapBeforeMb,
      heapAfterMb,
      heapRestartedMb,
      rssBeforeMb,
      rssAfterMb,
      rssRestartedMb,
      samples,
      liveServices: live.length,
      mapMismatches: mismatches,
      syncErrors,
      snapshotRestartWrites,
      snapshotRestartStart,
      freshWrites,
      corruptedWrites,
      corruptedRepaired,
    };
  } finally {
    await agent.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** firstLastMinute: the agent's CPU over the churn's first and last minute (does a change cost more as history grows?). */
function firstLastMinute(samples: readonly Sample[]): string {
  const last = samples.at(-1)?.at ?? 0;
  const mean = (xs: readonly Sample[]) => xs.reduce((a, x) => a + x.cpuPct, 0) / xs.length;
  const first = samples.filter((x) => x.at <= 60);
  const end = samples.filter((x) => x.at > last - 60);
  return first.length === 0 ? "—" : `${mean(first).toFixed(1)} / ${mean(end).toFixed(1)} %`;
}

/** perThousand: what the churned agent holds beyond the same state restarted, per 1,000 changes. */
function perThousand(afterMb: number, restartedMb: number, changes: number): string {
  const perK = ((afterMb - restartedMb) / changes) * 1000;
  return `${perK >= 0 ? "+" : ""}${perK.toFixed(2)} MB`;
}

function rows(f: SoakFigures): BenchRow[] {
  const at = f.n >= 1000 ? `${f.n / 1000}k` : String(f.n);
  const yes = (ok: boolean) => (ok ? "yes" : "NO");
  const restarted = `heap after GC, an agent restarted over the final datastore, ${at}`;
  const rssRestarted = `RSS, the agent restarted over the final datastore, ${at}`;
  return [
    ...(Number.isNaN(f.heapBeforeMb)
      ? []
      : [{ name: `heap after GC, before the churn, ${at}`, value: f.heapBeforeMb, unit: "MB" }]),
    { name: `RSS before the churn, ${at}`, value: f.rssBeforeMb, unit: "MB" },
    {
      name: rssRestarted,
      value: f.rssRestartedMb,
      unit: "MB",
      extra: { live: `${f.liveServices} Services` },
    },
    {
      name: `RSS after ${f.changes} changes, ${at}`,
      value: f.rssAfterMb,
      unit: "MB",
      baseline: rssRestarted,
      extra: {
        "per 1k changes": perThousand(f.rssAfterMb, f.rssRestartedMb, f.changes),
        live: `${f.liveServices} Services`,
      },
    },
    { name: restarted, value: f.heapRestartedMb, unit: "MB", extra: { live: `${f.liveServices} Services` } },
    {
      name: `heap after GC, after ${f.changes} changes, ${at}`,
      value: f.heapAfterMb,
      unit: "MB",
      baseline: restarted,
      extra: {
        "per 1k changes": perThousand(f.heapAfterMb, f.heapRestartedMb, f.changes),
        live: `${f.liveServices} Services`,
      },
    },
    {
      name: `agent CPU during the churn, ${at}`,
      value: f.cpuPct,
      unit: "% core",
      extra: {
        "first / last minute": firstLastMinute(f.samples),
        rate: `${(f.changes / f.churnSeconds).toFixed(1)}/s`,
        "writer behind": `${f.behindMs.toFixed(0)} ms`,
      },
    },
    {
      name: `Services whose maps differ from the model, ${at}`,
      value: f.mapMismatches.length,
      unit: "Services",
      extra: { target: "0", met: yes(f.mapMismatches.length === 0) },
    },
    {
      name: `NAT writes by a fresh agent over the churned maps, ${at}`,
      value: f.freshWrites ?? NaN,
      unit: "writes",
      extra: { target: "0", met: yes(f.freshWrites === 0) },
    },
    {
      name: `NAT writes by a restart over the snapshots, ${at}`,
      value: f.snapshotRestartWrites ?? NaN,
      unit: "writes",
      extra: { target: "0", met: yes(f.snapshotRestartWrites === 0), "nat state": f.snapshotRestartStart },
    },
    {
      name: `self-check: one sl_nat_be entry overwritten, rewritten by the fresh agent, ${at}`,
      value: f.corruptedWrites ?? NaN,
      unit: "writes",
      extra: { target: "1, repaired", met: yes(f.corruptedWrites === 1 && f.corruptedRepaired) },
    },
    {
      name: `sync errors, ${at}`,
      value: f.syncErrors,
      unit: "errors",
      extra: { target: "0", met: yes(f.syncErrors === 0) },
    },
  ];
}

/** churnSoakBench is `npm run bench -- churn-soak`. */
export const churnSoakBench: Benchmark<ChurnSoakOptions> = {
  name: "churn-soak",
  summary:
    "an agent under minutes of Service/endpoint churn: heap after GC before vs after, maps vs the model, a fresh agent's writes",
  needsRoot: true,
  defaults: {
    services: 10_000,
    endpoints: 10,
    seconds: 300,
    rate: 20,
    seed: 1,
    heap: false,
    heapBefore: false,
  },
  small: { services: 1000, endpoints: 10, seconds: 30, rate: 20, seed: 1, heap: false, heapBefore: false },
  async run(ctx, o) {
    const f = await soak(ctx, o);
    const failed = [
      ...f.mapMismatches,
      ...(f.freshWrites === 0 ? [] : [`a fresh agent wrote ${f.freshWrites ?? "?"} NAT entries`]),
      ...(f.snapshotRestartWrites === 0
        ? []
        : [`the restart over the snapshots wrote ${f.snapshotRestartWrites ?? "?"} NAT entries`]),
      ...(f.corruptedWrites === 1 && f.corruptedRepaired
        ? []
        : ["the self-check's broken entry was not rewritten alone"]),
      ...(f.syncErrors === 0 ? [] : [`${f.syncErrors} sync errors`]),
    ];
    for (const line of failed) ctx.progress(`churn-soak: FAILED: ${line}`);
    const kinds = [...f.kinds].map(([k, c]) => `${k} ${c}`).join(", ");
    return [
      {
        title: `Agent under churn (${o.endpoints} endpoints per Service at the start; ${o.rate} changes/s for ${o.seconds} s, seed ${o.seed})`,
        rows: rows(f),
        notes: [
          `changes: ${kinds}; each writes or deletes the Service's manifests as \`sluice apply\` / \`delete\` do (temp file, fsync, rename)`,
          "heap after GC: the agent's heap used right after a heap snapshot (V8 takes it after a full GC), 12 s after the churn (and 12 s after its start with --heapBefore=true); the base is the same agent killed and restarted over the churned datastore and its snapshots (the same Services, none of the history); per 1k changes: the churned agent's excess over that base, per 1,000 changes (a leak grows it)",
          "maps vs the model: every live Service's frontend in sl_nat_fe and exactly its endpoints in sl_nat_be; fresh agent: killed, started with --state-dir none, it computes every Service and adopts the maps — its writes are what the incremental path got wrong; self-check: one backend overwritten, then the same, which must rewrite exactly it",
          `RSS: 12 s after the start and 12 s after the churn, each before any heap snapshot of that process (a snapshot leaves native memory behind); per 1k changes: the churned agent's RSS over the restarted one's; samples during the churn (s: heap used MB, not after a GC / RSS MB / agent CPU % over the last ${SAMPLE_MS / 1000} s${!Number.isNaN(f.heapBeforeMb) ? ", after the first snapshot" : ""}): ${f.samples.map((s) => `${s.at.toFixed(0)}: ${s.heapMb.toFixed(0)}/${s.rssMb.toFixed(0)}/${s.cpuPct.toFixed(0)}`).join(", ")}`,
        ],
      } satisfies BenchTable,
    ];
  },
};
