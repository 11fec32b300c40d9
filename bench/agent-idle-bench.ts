/**
 * agent-idle: what a `sluice agent` costs while nothing changes, and how long it takes to be
 * ready, at N Services × M endpoints against the same agent over an empty datastore (the
 * baseline: an idle agent at 10k Services should cost what one with none does).
 * Per N, one real agent process (bench/scale-agent.ts: a throwaway netns and bpffs root):
 * start → /readiness (the NAT maps full), a settling pause, then its CPU (utime + stime from
 * /proc) over `idleSeconds` with nothing written to the datastore, its RSS and Node's heap used
 * (the agent's own /metrics, whose one scrape's CPU is reported too), then `kill -9` and a
 * restart over the same pins until ready again.
 * The datastore is written in-process (FileDatastore.applyBatch) before the agent starts, so
 * the agent's start reads a full datastore. `--profile=true` runs the agent with `--cpu-prof`
 * and leaves the .cpuprofile of the idle run under bench/results/. `--baseline=true` runs the
 * same measurement over main's code too (`git archive main` into a temporary directory, this
 * checkout's node_modules), in the same run, for a before/after under the same load.
 * Above Calico's default NAT map sizes (262,144 backends) the datastore gets a FelixConfiguration
 * sizing sl_nat_fe / sl_nat_be for the Services (as the scale bench does). `--heap=true` writes a
 * heap snapshot after the idle window (for bench/heap-owners.ts). Needs root.
 */
import { execFileSync, execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { FileDatastore } from "../src/datastore/file-datastore.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { ScaleAgent } from "./scale-agent.ts";
import { writeServiceFlow } from "./service-flow-entry.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import { syntheticServices } from "./synthetic-services.ts";
import { RESULTS_DIR } from "./write-result.ts";

const NODE = "bench-node";
const SETTLE_MS = 5000;
/** Longer than the conntrack sweeper's period (10 s), so one sweep has seen the flow. */
const SWEEP_SETTLE_MS = 12_000;
/**
 * The window with a flow: ≥ 60 s (six sweeps), since the collections after the first sweep's
 * index land in the next tens of seconds and would otherwise be most of a short window.
 */
const flowWindowS = (o: { readonly idleSeconds: number }): number => Math.max(o.idleSeconds, 60);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** AgentIdleOptions: the Service counts (0 is the baseline), endpoints each, the idle window. */
export type AgentIdleOptions = {
  readonly services: readonly number[];
  readonly endpoints: number;
  readonly idleSeconds: number;
  readonly profile: boolean;
  /** Run the agent from the esbuild bundle (bin/bundle.js, the default) or, false, through tsx. */
  readonly bundle: boolean;
  /** Also measure main's code (git archive main), same N, same run. */
  readonly baseline: boolean;
  /**
   * Write a heap snapshot of the agent after the idle window (SIGUSR2) under bench/results/,
   * for bench/heap-owners.ts: what each owner holds.
   */
  readonly heap: boolean;
  /**
   * kill -9 → ready repeated this many times over the snapshots; the row gives the median (and
   * the range), so one run's figure is not one sample of a noisy VM.
   */
  readonly restarts: number;
};

interface IdleFigures {
  readonly n: number;
  /** "" for this checkout, " (main)" for the baseline. */
  readonly code: string;
  readonly readyMs: number;
  readonly syncSeconds: number;
  readonly idleCpuPct: number;
  readonly rssMb: number;
  /** The highest RSS the agent reached (VmHWM), start included. */
  readonly peakRssMb: number;
  readonly heapMb: number;
  /** CPU the agent spent answering one /metrics scrape. */
  readonly scrapeCpuMs: number;
  /** Idle CPU again with one Service flow in sl_ct (the sweeper judges it every 10 s). */
  readonly idleFlowCpuPct: number;
  readonly restartMs: number;
  /** Every restart's ms (restartMs is their median). */
  readonly restartSamplesMs: readonly number[];
  /** CPU of the restarted agent until ready (user + system). */
  readonly restartCpuS: number;
  /** The restarted agent's main thread alone until ready. */
  readonly restartMainS: number;
  /** The restarted agent's first-touched pages (minflt) and peak RSS (VmHWM) until ready. */
  readonly restartFaults: number;
  readonly restartPeakMb: number;
  /** The same restart with `--state-dir none`: no snapshots, everything read and recomputed. */
  readonly restartNoSnapMs: number;
  readonly restartNoSnapCpuS: number;
  readonly restartNoSnapMainS: number;
}

const DEFAULT_NAT_BACKENDS = 262_144;
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1024)));

/** felixFor sizes the NAT maps when the Services do not fit Calico's defaults, else undefined. */
function felixFor(n: number, endpoints: number): Record<string, unknown> | undefined {
  if (n * endpoints * 1.2 <= DEFAULT_NAT_BACKENDS) return undefined;
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec: { bpfMapSizeNATFrontend: pow2(n * 1.2), bpfMapSizeNATBackend: pow2(n * endpoints * 1.2) },
  };
}

/** mainCheckout exports main's tree into a temporary directory (with this checkout's node_modules). */
function mainCheckout(): { dir: string; close(): void } {
  const root = new URL("..", import.meta.url).pathname;
  const dir = mkdtempSync("/tmp/sl-t-agent-idle-main-");
  execSync(`git -C ${JSON.stringify(root)} archive main | tar -x -C ${JSON.stringify(dir)}`, {
    stdio: "pipe",
  });
  symlinkSync(`${root}node_modules`, `${dir}/node_modules`);
  return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** prebuildBundle brings `root`'s esbuild bundle up to date (bin/bundle.js ensureBundle: a no-op when fresh). */
export function prebuildBundle(root: string): void {
  execFileSync(
    process.execPath,
    [
      "-e",
      "import(process.argv[1]).then((m) => m.ensureBundle({ SLUICE_BUNDLE: '1' }))",
      `${root}/bin/bundle.js`,
    ],
    { stdio: "pipe" },
  );
}

/**
 * heapSnapshot has the agent (started with --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=`dir`)
 * write a heap snapshot, which V8 takes after a full GC, and resolves with its path once complete.
 */
export async function heapSnapshot(ctx: BenchContext, pid: number, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  // Node writes the file in place; the agent's loop is blocked until it is done, so a size that
  // stops growing for 2 s (and a non-empty file) marks it complete.
  const deadline = Date.now() + 600_000;
  let last = -1;
  let steady = 0;
  while (Date.now() < deadline) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (file === undefined) continue;
    const size = statSync(`${dir}/${file}`).size;
    steady = size > 0 && size === last ? steady + 1 : 0;
    last = size;
    if (steady >= 4) {
      ctx.progress(`heap snapshot: ${dir}/${file} (${(size / 1e6).toFixed(0)} MB)`);
      return `${dir}/${file}`;
    }
  }
  throw new Error(`agent ${pid}: no complete heap snapshot in ${dir} within 600 s`);
}

async function measureIdle(
  ctx: BenchContext,
  n: number,
  o: AgentIdleOptions,
  main?: string,
): Promise<IdleFigures> {
  const code = main === undefined ? "" : " (main)";
  const work = mkdtempSync("/tmp/sl-t-agent-idle-");
  const datastore = `${work}/datastore`;
  mkdirSync(datastore);
  const profDir = `${RESULTS_DIR}agent-idle-${n}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const agent = new ScaleAgent({
    datastore,
    nodeName: NODE,
    readyTimeoutMs: 600_000,
    env: { SLUICE_BUNDLE: o.bundle ? "1" : "0" },
    ...(main !== undefined ? { bin: `${main}/bin/sluice.js` } : {}),
    nodeArgs: [
      ...(o.profile ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []),
      ...(o.heap ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${profDir}`] : []),
    ],
  });
  try {
    const services = syntheticServices({ count: n, endpointsPerService: o.endpoints, nodeName: NODE });
    if (n > 0) {
      ctx.progress(`agent-idle N=${n}${code}: writing ${2 * n} objects into the datastore`);
      const docs = services.flatMap((s) => [serviceManifest(s), endpointSliceManifest(s)]);
      const felix = felixFor(n, o.endpoints);
      if (felix !== undefined) docs.unshift(felix);
      const store = new FileDatastore(datastore);
      try {
        // In batches: one batch of 200,000 objects holds every manifest's text at once.
        for (let i = 0; i < docs.length; i += 20_000) await store.applyBatch(docs.slice(i, i + 20_000));
      } finally {
        await store.close();
      }
    }
    // A stale bundle is rebuilt by the first start after a source change (main's fresh checkout
    // always): build it here, so start → ready is the agent's, not esbuild's.
    if (o.bundle) prebuildBundle(main ?? new URL("..", import.meta.url).pathname);
    ctx.progress(`agent-idle N=${n}${code}: agent start`);
    const readyMs = await agent.start();
    const syncSeconds = agent.metric('sluice_sync_duration_seconds_sum{result="ok"}') ?? NaN;
    ctx.progress(
      `agent-idle N=${n}${code}: ready in ${(readyMs / 1000).toFixed(1)} s; ${o.idleSeconds} s idle`,
    );
    await sleep(SETTLE_MS);
    const c0 = agent.cpuSeconds();
    await sleep(o.idleSeconds * 1000);
    const idleCpuPct = ((agent.cpuSeconds() - c0) / o.idleSeconds) * 100;
    const rssMb = agent.rssBytes() / 1e6;
    const peakRssMb = agent.peakRssBytes() / 1e6;
    const c1 = agent.cpuSeconds();
    const heapMb = (agent.metric("sluice_agent_nodejs_heap_size_used_bytes") ?? NaN) / 1e6;
    const scrapeCpuMs = (agent.cpuSeconds() - c1) * 1000;
    // Where RSS is beyond the heap's live objects: the heap's committed pages per space, and
    // the memory of ArrayBuffers (outside the heap).
    const mb = (name: string) => ((agent.metric(`sluice_agent_nodejs_${name}`) ?? NaN) / 1e6).toFixed(0);
    const space = (s: string) =>
      `${s} ${mb(`heap_space_size_used_bytes{space="${s}"}`)}/${mb(`heap_space_size_total_bytes{space="${s}"}`)}`;
    ctx.progress(
      `agent-idle N=${n}${code}: heap used/committed ${heapMb.toFixed(0)}/${mb("heap_size_total_bytes")} MB (${["old", "new", "code", "large_object"].map(space).join(", ")}), external ${mb("external_memory_bytes")} MB`,
    );
    if (o.heap) await heapSnapshot(ctx, agent.pid, profDir);
    // The same idle window with one Service flow in conntrack, as on any node with traffic: the
    // sweeper (every 10 s) then judges NAT entries against the Services' backends.
    writeServiceFlow(agent.pinDir, services[0]);
    // One sweep first (every 10 s): the window is the steady state, not the first sweep's index.
    await sleep(SWEEP_SETTLE_MS);
    const c2 = agent.cpuSeconds();
    await sleep(flowWindowS(o) * 1000);
    const idleFlowCpuPct = ((agent.cpuSeconds() - c2) / flowWindowS(o)) * 100;
    ctx.progress(
      `agent-idle N=${n}${code}: idle ${idleCpuPct.toFixed(2)} % CPU, RSS ${rssMb.toFixed(0)} MB; kill -9 and restart`,
    );
    // The profile is written when the agent exits: stop it politely for that, else kill -9.
    const restarts: { ms: number; cpuS: number; mainS: number; faults: number; peakMb: number }[] = [];
    for (let i = 0; i < Math.max(1, o.restarts); i++) {
      if (o.profile) await agent.stop();
      else await agent.kill();
      const ms = await agent.start();
      restarts.push({
        ms,
        cpuS: agent.cpuSeconds(),
        mainS: agent.mainThreadCpuSeconds(),
        faults: agent.minorFaults(),
        peakMb: agent.peakRssBytes() / 2 ** 20,
      });
      ctx.progress(
        `agent-idle N=${n}${code}: ready again in ${(ms / 1000).toFixed(2)} s (${i + 1}/${o.restarts})`,
      );
    }
    const mid = [...restarts].sort((a, b) => a.ms - b.ms)[(restarts.length - 1) >> 1]!;
    const restartMs = mid.ms;
    const restartCpuS = mid.cpuS;
    const restartMainS = mid.mainS;
    const restartFaults = mid.faults;
    const restartPeakMb = mid.peakMb;
    ctx.progress(`agent-idle N=${n}${code}: again without snapshots`);
    // The peer in the same run: the same restart with the snapshots turned off (today's path).
    if (o.profile) await agent.stop();
    else await agent.kill();
    const restartNoSnapMs = await agent.start({ snapshots: false });
    const restartNoSnapCpuS = agent.cpuSeconds();
    const restartNoSnapMainS = agent.mainThreadCpuSeconds();
    ctx.progress(
      `agent-idle N=${n}${code}: ready again without snapshots in ${(restartNoSnapMs / 1000).toFixed(1)} s`,
    );
    return {
      n,
      code,
      readyMs,
      syncSeconds,
      idleCpuPct,
      rssMb,
      peakRssMb,
      heapMb,
      scrapeCpuMs,
      idleFlowCpuPct,
      restartMs,
      restartSamplesMs: restarts.map((r) => r.ms),
      restartCpuS,
      restartMainS,
      restartFaults,
      restartPeakMb,
      restartNoSnapMs,
      restartNoSnapCpuS,
      restartNoSnapMainS,
    };
  } finally {
    await agent.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function rows(f: IdleFigures, base: IdleFigures | undefined): BenchRow[] {
  const at = f.n >= 1000 ? `${f.n / 1000}k` : String(f.n);
  const vs = (name: string): { baseline?: string } =>
    base !== undefined && base !== f ? { baseline: `${name}, ${base.n} Services${base.code}` } : {};
  return [
    {
      name: `start → ready, ${at} Services${f.code}`,
      value: f.readyMs,
      unit: "ms",
      ...vs("start → ready"),
      extra: { sync: `${f.syncSeconds.toFixed(2)} s` },
    },
    { name: `idle CPU, ${at} Services${f.code}`, value: f.idleCpuPct, unit: "% core", ...vs("idle CPU") },
    {
      name: `idle CPU with a Service flow in conntrack, ${at} Services${f.code}`,
      value: f.idleFlowCpuPct,
      unit: "% core",
      ...vs("idle CPU with a Service flow in conntrack"),
    },
    {
      name: `RSS, ${at} Services${f.code}`,
      value: f.rssMb,
      unit: "MB",
      ...vs("RSS"),
      extra: { heap: `${f.heapMb.toFixed(0)} MB`, peak: `${f.peakRssMb.toFixed(0)} MB` },
    },
    {
      name: `CPU of one /metrics scrape, ${at} Services${f.code}`,
      value: f.scrapeCpuMs,
      unit: "ms",
      ...vs("CPU of one /metrics scrape"),
    },
    {
      name: `kill -9 → ready again, no snapshots, ${at} Services${f.code}`,
      value: f.restartNoSnapMs,
      unit: "ms",
      extra: {
        cpu: `${f.restartNoSnapCpuS.toFixed(2)} s`,
        "main thread": `${f.restartNoSnapMainS.toFixed(2)} s`,
      },
    },
    {
      name: `kill -9 → ready again, ${at} Services${f.code}`,
      value: f.restartMs,
      unit: "ms",
      baseline: `kill -9 → ready again, no snapshots, ${at} Services${f.code}`,
      extra: {
        cpu: `${f.restartCpuS.toFixed(2)} s`,
        "main thread": `${f.restartMainS.toFixed(2)} s`,
        "fresh pages": `${Math.round(f.restartFaults / 1000)}k`,
        peak: `${f.restartPeakMb.toFixed(0)} MB`,
        ...(f.restartSamplesMs.length > 1
          ? {
              restarts: `median of ${f.restartSamplesMs.length}, ${Math.round(Math.min(...f.restartSamplesMs))}–${Math.round(Math.max(...f.restartSamplesMs))} ms`,
            }
          : {}),
      },
    },
  ];
}

/** agentIdleBench is `npm run bench -- agent-idle`. */
export const agentIdleBench: Benchmark<AgentIdleOptions> = {
  name: "agent-idle",
  summary: "an idle agent at N Services: CPU, RSS, heap, start → ready and kill -9 → ready, vs. 0 Services",
  needsRoot: true,
  defaults: {
    services: [0, 10_000],
    endpoints: 10,
    idleSeconds: 30,
    profile: false,
    bundle: true,
    baseline: false,
    heap: false,
    restarts: 5,
  },
  small: {
    services: [0, 1000],
    endpoints: 10,
    idleSeconds: 10,
    profile: false,
    bundle: true,
    baseline: false,
    heap: false,
    restarts: 1,
  },
  async run(ctx, o) {
    const figures: IdleFigures[] = [];
    const main = o.baseline ? mainCheckout() : undefined;
    try {
      for (const n of o.services) {
        figures.push(await measureIdle(ctx, n, o));
        if (main !== undefined) figures.push(await measureIdle(ctx, n, o, main.dir));
      }
    } finally {
      main?.close();
    }
    const table: BenchTable = {
      title: `Idle agent, ${o.bundle ? "bundled" : "through tsx"} (${o.endpoints} endpoints per Service; ratio: vs. the same code over an empty datastore, restarts vs. no snapshots)`,
      rows: figures.flatMap((f) =>
        rows(
          f,
          figures.find((b) => b.n === 0 && b.code === f.code),
        ),
      ),
      notes: [
        `idle CPU: utime + stime over ${o.idleSeconds} s with nothing written, after ${SETTLE_MS / 1000} s settling (target < 1 % at 10k); with a Service flow: one TCP flow through a ClusterIP written into sl_ct, measured over ${flowWindowS(o)} s after one sweep has seen it (${SWEEP_SETTLE_MS / 1000} s)`,
        "RSS from /proc after the idle window; peak: VmHWM (the start included); heap: the agent's sluice_agent_nodejs_heap_size_used_bytes (target RSS < 200 MB at 10k, < 500 MB at 100k)",
        "kill -9 → ready again: over the restart snapshots (--state-dir), the median of --restarts runs (default 5), ratio vs. the same restart with --state-dir none in the same run; cpu: the restarted agent's utime + stime until ready, all threads; main thread: its main thread's alone (the event loop's critical path: the least moved by other load); fresh pages: minor faults until ready (~11 µs each on this VM), peak: VmHWM at ready (target < 2 s)",
      ],
    };
    return [table];
  },
};
