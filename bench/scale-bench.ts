/**
 * Scale benchmark (issue 10): the control plane at cluster scale, each figure beside its target,
 * measured in one run per number of Services (10 endpoints each):
 * - `sluice apply -f` of one manifest holding every Service and EndpointSlice (a real process);
 * - `sluice agent` (a real process, in a throwaway namespace and bpffs root, see scale-agent.ts)
 *   from start to /readiness (the NAT maps full), beside `iptables-restore` of kube-proxy's
 *   layout for the same Services in another throwaway namespace;
 * - the agent's CPU while nothing changes and its RSS and heap;
 * - one endpoint change: an EndpointSlice file rewritten as the datastore writes it, until the
 *   pinned sl_nat_be (what the program reads on the next packet) holds the new backend, p50/p99;
 * - `kill -9` and a restart over the same pins, until ready again.
 * Writes a markdown table and a PNG chart beside the JSON result. Needs root.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { dump } from "js-yaml";
import { BpfMap } from "../src/bpf/map.ts";
import { mapPinPath } from "../src/datapath/datapath-maps.ts";
import { NatBackendMap, NatFrontendMap } from "../src/datapath/maps/index.ts";
import { atomicWriteFile } from "../src/datastore/atomic-write.ts";
import { newFileName } from "../src/datastore/file-datastore.ts";
import { renderJsonManifest } from "../src/datastore/manifest-file-edit.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { withBenchNetns } from "./bench-netns.ts";
import { renderKubeProxyIptables } from "./kube-proxy-iptables.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { ScaleAgent } from "./scale-agent.ts";
import { scaleChartPng, type ChartPoint } from "./scale-chart.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import { percentile } from "./stats.ts";
import { syntheticServices, type SyntheticService } from "./synthetic-services.ts";
import { runTimedTool } from "./timed-tool.ts";
import { RESULTS_DIR } from "./write-result.ts";

const SLUICE_BIN = new URL("../bin/sluice.js", import.meta.url).pathname;
const NODE = "bench-node";

/** ScaleOptions: the scales, endpoints per Service, changes timed, and the idle window. */
export type ScaleOptions = {
  readonly services: readonly number[];
  readonly endpoints: number;
  readonly changes: number;
  readonly idleSeconds: number;
};

const p = (samples: readonly number[], q: number): number =>
  percentile(
    [...samples].sort((a, b) => a - b),
    q,
  );
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1024)));

function manifestText(services: readonly SyntheticService[]): string {
  const felix = {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec: {
      bpfMapSizeNATFrontend: pow2(services.length * 1.2),
      bpfMapSizeNATBackend: pow2(services.length * (services[0]?.endpoints.length ?? 1) * 1.2),
    },
  };
  const docs = [felix, ...services.flatMap((s) => [serviceManifest(s), endpointSliceManifest(s)])];
  return docs.map((d) => dump(d, { lineWidth: -1 })).join("---\n");
}

function timeApply(file: string, datastore: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [SLUICE_BIN, "apply", "-f", file, "--datastore", datastore], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 1_200_000,
  });
  if (r.status !== 0)
    throw new Error(`run sluice apply -f ${file}: ${r.stderr?.toString().trim() || `status ${r.status}`}`);
  return performance.now() - t0;
}

/** ChangeTimes: per change, from the start of the write and from its rename (the write committed). */
interface ChangeTimes {
  readonly total: number[];
  readonly committed: number[];
}

/**
 * The probe's pause between two looks at the maps. A futex wait (Atomics.wait), not a spin: a
 * `setImmediate` loop took one of this VM's two vCPUs for itself while the agent, its GC helper
 * threads and the kernel shared the other, and that wait for a CPU was part of what it timed.
 * 0.1 ms of resolution against a 10 ms target.
 */
const PROBE_PAUSE_MS = 0.1;
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** changeLatencies writes `count` one-endpoint changes and times each until sl_nat_be holds it. */
async function changeLatencies(
  agent: ScaleAgent,
  datastore: string,
  services: readonly SyntheticService[],
  count: number,
): Promise<ChangeTimes> {
  const fe = BpfMap.openPinned(mapPinPath(agent.pinDir, "sl_nat_fe"), "sl_nat_fe");
  const be = BpfMap.openPinned(mapPinPath(agent.pinDir, "sl_nat_be"), "sl_nat_be");
  try {
    const feMap = new NatFrontendMap(fe);
    const beMap = new NatBackendMap(be);
    const out: ChangeTimes = { total: [], committed: [] };
    for (let k = 0; k < count; k++) {
      const s = services[(Math.floor(services.length / 2) + k * 7919) % services.length]!;
      const addr = `198.18.${200 + Math.floor(k / 250)}.${1 + (k % 250)}`;
      const changed = { ...s, endpoints: [addr, ...s.endpoints.slice(1)] };
      const manifest = endpointSliceManifest(changed);
      const file = `${datastore}/${newFileName({ group: "discovery.k8s.io", kind: "EndpointSlice", namespace: s.namespace, name: `${s.name}-bench` })}`;
      const t0 = performance.now();
      atomicWriteFile(file, renderJsonManifest(manifest));
      const tCommitted = performance.now();
      const deadline = t0 + 10_000;
      for (;;) {
        const svc = feMap.get({ addr: s.clusterIP, port: s.port, proto: 6 });
        let seen = false;
        for (let i = 0; svc !== undefined && i < svc.count && !seen; i++)
          seen = beMap.get(svc.svcId, i)?.addr === addr;
        if (seen) break;
        if (performance.now() > deadline)
          throw new Error(
            `wait for backend ${addr} of ${s.namespace}/${s.name} in sl_nat_be: not there after 10 s`,
          );
        Atomics.wait(pauseCell, 0, 0, PROBE_PAUSE_MS);
      }
      const tSeen = performance.now();
      out.total.push(tSeen - t0);
      out.committed.push(tSeen - tCommitted);
      await sleep(200);
    }
    return out;
  } finally {
    fe.close();
    be.close();
  }
}

interface ScaleFigures {
  readonly n: number;
  readonly applyMs: number;
  readonly iptablesMs: number;
  readonly coldMs: number;
  readonly syncSeconds: number;
  readonly idleCpuPct: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly change: readonly number[];
  /** The same changes from the rename (the writer's temp file and fsync excluded). */
  readonly changeCommitted: readonly number[];
  readonly restartMs: number;
}

async function measureScale(ctx: BenchContext, n: number, o: ScaleOptions): Promise<ScaleFigures> {
  const services = syntheticServices({ count: n, endpointsPerService: o.endpoints, nodeName: NODE });
  const work = mkdtempSync("/tmp/sl-t-scale-");
  const datastore = `${work}/datastore`;
  const agent = new ScaleAgent({ datastore, nodeName: NODE, readyTimeoutMs: 900_000 });
  try {
    ctx.progress(`scale N=${n}: writing the manifest (${2 * n + 1} objects)`);
    writeFileSync(`${work}/all.yaml`, manifestText(services));
    ctx.progress(`scale N=${n}: sluice apply -f`);
    const applyMs = timeApply(`${work}/all.yaml`, datastore);
    ctx.progress(
      `scale N=${n}: apply ${(applyMs / 1000).toFixed(1)} s; iptables-restore of kube-proxy's layout`,
    );
    const iptablesMs = await withBenchNetns((ns) =>
      runTimedTool(
        ns,
        ["iptables-restore"],
        renderKubeProxyIptables(services, { clusterCidr: "198.19.0.0/16" }),
      ),
    );
    ctx.progress(`scale N=${n}: iptables-restore ${(iptablesMs / 1000).toFixed(1)} s; agent cold start`);
    const coldMs = await agent.start();
    const syncSeconds = agent.metric('sluice_sync_duration_seconds_sum{result="ok"}') ?? NaN;
    ctx.progress(
      `scale N=${n}: ready in ${(coldMs / 1000).toFixed(1)} s; settling, then ${o.idleSeconds} s idle`,
    );
    await sleep(5000);
    const c0 = agent.cpuSeconds();
    await sleep(o.idleSeconds * 1000);
    const idleCpuPct = ((agent.cpuSeconds() - c0) / o.idleSeconds) * 100;
    const rssMb = agent.rssBytes() / 1e6;
    const heapMb = (agent.metric("sluice_agent_nodejs_heap_size_used_bytes") ?? NaN) / 1e6;
    ctx.progress(
      `scale N=${n}: idle ${idleCpuPct.toFixed(2)} % CPU, RSS ${rssMb.toFixed(0)} MB; ${o.changes} endpoint changes`,
    );
    const { total: change, committed: changeCommitted } = await changeLatencies(
      agent,
      datastore,
      services,
      o.changes,
    );
    ctx.progress(
      `scale N=${n}: change p50 ${percentile(
        [...change].sort((a, b) => a - b),
        0.5,
      ).toFixed(0)} ms; kill -9 and restart`,
    );
    await agent.kill();
    const restartMs = await agent.start();
    return {
      n,
      applyMs,
      iptablesMs,
      coldMs,
      syncSeconds,
      idleCpuPct,
      rssMb,
      heapMb,
      change,
      changeCommitted,
      restartMs,
    };
  } finally {
    await agent.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function rows(f: ScaleFigures): BenchRow[] {
  const at = f.n >= 1000 ? `${f.n / 1000}k` : String(f.n);
  const big = f.n >= 100_000;
  const t = (target: string, met: boolean): Record<string, string> => ({ target, met: met ? "yes" : "NO" });
  return [
    {
      name: `apply -f ${2 * f.n} objects (${at} Services)`,
      value: f.applyMs / 1000,
      unit: "s",
      extra: t("< 10 s at 10k", f.n > 10_000 || f.applyMs < 10_000),
    },
    { name: `iptables-restore kube-proxy layout, ${at}`, value: f.iptablesMs, unit: "ms" },
    {
      name: `agent start → ready (maps full), ${at}`,
      value: f.coldMs,
      unit: "ms",
      baseline: `iptables-restore kube-proxy layout, ${at}`,
      extra: big ? t("< 10 s", f.coldMs < 10_000) : {},
    },
    {
      // The issue's cold-start figure: the agent's own work programming the maps (its sync
      // passes), beside iptables-restore programming kube-proxy's rules. The wall time above also
      // holds the process start, loading the BPF objects and reading the datastore.
      name: `agent sync work at start (programming the maps), ${at}`,
      value: f.syncSeconds * 1000,
      unit: "ms",
      baseline: `iptables-restore kube-proxy layout, ${at}`,
      // The issue states it at 10k × 10 (iptables-restore ~19 s there on this VM).
      extra:
        f.n === 10_000
          ? t(
              "< 1 s and ≥ 27× faster than iptables-restore",
              f.syncSeconds < 1 && f.syncSeconds * 27_000 <= f.iptablesMs,
            )
          : {},
    },
    {
      name: `agent idle CPU, ${at}`,
      value: f.idleCpuPct,
      unit: "% core",
      extra: t("< 1 %", f.idleCpuPct < 1),
    },
    {
      name: `agent RSS, ${at}`,
      value: f.rssMb,
      unit: "MB",
      extra: {
        ...t(big ? "< 500 MB" : "< 200 MB", f.rssMb < (big ? 500 : 200)),
        heap: `${f.heapMb.toFixed(0)} MB`,
      },
    },
    {
      name: `endpoint change → sl_nat_be, ${at} p50`,
      value: p(f.change, 0.5),
      unit: "ms",
      extra: { samples: f.change.length },
    },
    {
      name: `endpoint change → sl_nat_be, ${at} p99`,
      value: p(f.change, 0.99),
      unit: "ms",
      extra: { ...t("< 10 ms", p(f.change, 0.99) < 10), max: `${Math.max(...f.change).toFixed(1)} ms` },
    },
    {
      name: `same changes from the rename (write committed), ${at} p50 / p99`,
      value: p(f.changeCommitted, 0.5),
      unit: "ms",
      extra: {
        p99: `${p(f.changeCommitted, 0.99).toFixed(1)} ms`,
        max: `${Math.max(...f.changeCommitted).toFixed(1)} ms`,
      },
    },
    {
      name: `kill -9 → ready again, ${at}`,
      value: f.restartMs,
      unit: "ms",
      extra: t("< 2 s", f.restartMs < 2000),
    },
  ];
}

/** scaleBench is `npm run bench -- scale`. */
export const scaleBench: Benchmark<ScaleOptions> = {
  name: "scale",
  summary:
    "control plane at cluster scale: apply -f, agent start/idle/RSS, change latency, restart, vs. targets",
  needsRoot: true,
  defaults: { services: [1000, 10_000, 100_000], endpoints: 10, changes: 200, idleSeconds: 30 },
  small: { services: [100, 1000], endpoints: 10, changes: 10, idleSeconds: 5 },
  async run(ctx, o) {
    const figures: ScaleFigures[] = [];
    for (const n of o.services) figures.push(await measureScale(ctx, n, o));
    const table: BenchTable = {
      title: `Control plane at scale (${o.endpoints} endpoints per Service; ratio: agent vs. iptables-restore, lower is better)`,
      rows: figures.flatMap(rows),
      notes: [
        "change: an EndpointSlice file rewritten as the datastore writes it (temp file, fsync, rename), until the pinned sl_nat_be holds the new backend (what the program reads on the next packet), probed every 0.1 ms; from the rename: the same changes without the writer's temp file and fsync",
      ],
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const points: ChartPoint[] = figures.flatMap((f) => [
      { series: "sluice apply -f (all objects)", services: f.n, ms: f.applyMs },
      { series: "iptables-restore (kube-proxy layout)", services: f.n, ms: f.iptablesMs },
      { series: "sluice agent start → maps full", services: f.n, ms: f.coldMs },
      { series: "sluice agent sync work at start", services: f.n, ms: f.syncSeconds * 1000 },
      { series: "sluice agent kill -9 → ready", services: f.n, ms: f.restartMs },
      { series: "one endpoint change → map (p99)", services: f.n, ms: p(f.change, 0.99) },
    ]);
    const png = `${RESULTS_DIR}scale-${stamp}.png`;
    writeFileSync(png, await scaleChartPng("Sluice control plane vs. number of Services", points));
    ctx.progress(`scale: chart ${png} (the runner writes the table beside the JSON as .md)`);
    return [table];
  },
};
