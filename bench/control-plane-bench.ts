/**
 * Control-plane benchmark: how long Sluice takes to program N Services × M endpoints through
 * src/calc (computeNatState) and src/proxy (NatReconciler) into the in-memory backend and into
 * real pinned maps, and how long ONE endpoint change takes at that scale (a delta: its writes
 * are counted) — against kube-proxy's iptables layout loaded with `iptables-restore` (which
 * reloads the whole table on every change) and its nftables layout loaded with `nft -f` (whose
 * change is a small transaction), both inside a throwaway namespace. Needs root.
 */
import { performance } from "node:perf_hooks";
import type { NatInput } from "../src/calc/index.ts";
import type { NatMapBackend } from "../src/proxy/index.ts";
import { InMemoryNatMapBackend, NatReconciler, countingBackend } from "../src/proxy/index.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { withBenchNetns } from "./bench-netns.ts";
import { openBenchNatMaps, removeBenchPins } from "./kernel-nat-maps.ts";
import { renderKubeProxyIptables } from "./kube-proxy-iptables.ts";
import { renderKubeProxyNft, renderKubeProxyNftChange } from "./kube-proxy-nft.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { ratio } from "./result-table.ts";
import { natInputOf } from "./service-manifests.ts";
import { median } from "./stats.ts";
import { syntheticServices, withOneEndpointChanged } from "./synthetic-services.ts";
import type { SyntheticService } from "./synthetic-services.ts";
import { runTimedTool } from "./timed-tool.ts";

const LAYOUT = { clusterCidr: "198.19.0.0/16" } as const;

/** ControlPlaneOptions: the scales and how many times each Sluice sync is repeated (median kept). */
export type ControlPlaneOptions = {
  readonly services: readonly number[];
  readonly endpoints: number;
  readonly repeats: number;
  /** Load the nftables layout too (slow at 5,000 Services with nft 1.0.x: over a minute). */
  readonly nft: boolean;
};

/** SyncTiming is one Sluice measurement: full sync and one change, in ms, and their write counts. */
interface SyncTiming {
  fullMs: number;
  fullWrites: number;
  changeMs: number;
  changeWrites: number;
}

function timeSync(
  make: () => { backend: NatMapBackend; close(): void },
  full: NatInput,
  changed: NatInput,
): SyncTiming {
  const { backend, close } = make();
  try {
    const counted = countingBackend(backend);
    const r = new NatReconciler(counted.backend);
    let t0 = performance.now();
    r.sync(full);
    const fullMs = performance.now() - t0;
    const fullWrites = counted.writes();
    t0 = performance.now();
    r.sync(changed);
    const changeMs = performance.now() - t0;
    return { fullMs, fullWrites, changeMs, changeWrites: counted.writes() - fullWrites };
  } finally {
    close();
  }
}

function medianTiming(runs: readonly SyncTiming[]): SyncTiming {
  return {
    fullMs: median(runs.map((r) => r.fullMs)),
    fullWrites: runs[0]?.fullWrites ?? 0,
    changeMs: median(runs.map((r) => r.changeMs)),
    changeWrites: runs[0]?.changeWrites ?? 0,
  };
}

async function measureScale(ctx: BenchContext, n: number, o: ControlPlaneOptions): Promise<BenchTable> {
  const services = syntheticServices({ count: n, endpointsPerService: o.endpoints });
  // Change the middle Service: neither first nor last in any ordered structure.
  const at = Math.floor(n / 2);
  const changedServices = withOneEndpointChanged(services, at, "198.18.64.1");
  ctx.progress(`control-plane: N=${n} × M=${o.endpoints}: validating input`);
  const full = natInputOf(services);
  // As the agent's ClusterCache does, keep every unchanged object and replace only the changed
  // EndpointSlice: the reconciler's cache recognises unchanged Services by object identity.
  const changedSlice = natInputOf([changedServices[at] as SyntheticService]).endpointSlices[0];
  const changed = {
    ...full,
    endpointSlices: full.endpointSlices.map((s, i) =>
      i === at && changedSlice !== undefined ? changedSlice : s,
    ),
  };

  const memRuns: SyncTiming[] = [];
  const kernelRuns: SyncTiming[] = [];
  for (let i = 0; i < o.repeats; i++) {
    ctx.progress(`control-plane: N=${n}: sluice sync ${i + 1}/${o.repeats} (memory, kernel maps)`);
    memRuns.push(
      timeSync(() => ({ backend: new InMemoryNatMapBackend(), close: () => undefined }), full, changed),
    );
    const maps = await openBenchNatMaps(`n${n}-r${i}`);
    kernelRuns.push(timeSync(() => maps, full, changed));
  }
  const mem = medianTiming(memRuns);
  const kern = medianTiming(kernelRuns);

  const tools = await withBenchNetns(async (ns) => {
    ctx.progress(
      `control-plane: N=${n}: iptables-restore (full load, then full reload with one endpoint changed)`,
    );
    const iptFull = await runTimedTool(ns, ["iptables-restore"], renderKubeProxyIptables(services, LAYOUT));
    const iptChange = await runTimedTool(
      ns,
      ["iptables-restore"],
      renderKubeProxyIptables(changedServices, LAYOUT),
    );
    let nftFull = Number.NaN;
    let nftChange = Number.NaN;
    if (o.nft) {
      ctx.progress(`control-plane: N=${n}: nft -f (full load, then the one-change transaction)`);
      nftFull = await runTimedTool(ns, ["nft", "-f", "-"], renderKubeProxyNft(services, LAYOUT));
      nftChange = await runTimedTool(
        ns,
        ["nft", "-f", "-"],
        renderKubeProxyNftChange(
          services[at] as SyntheticService,
          changedServices[at] as SyntheticService,
          LAYOUT,
        ),
      );
    }
    return { iptFull, iptChange, nftFull, nftChange };
  });

  const vsFull = (t: SyncTiming): number => ratio(t.changeMs, t.fullMs) ?? Number.NaN;
  const rules = n * (2 + 3 * o.endpoints);
  const rows: BenchRow[] = [
    { name: "iptables-restore: full load", value: tools.iptFull, unit: "ms", extra: { rules } },
    {
      name: "sluice full sync: memory",
      value: mem.fullMs,
      unit: "ms",
      baseline: "iptables-restore: full load",
      extra: { writes: mem.fullWrites },
    },
    {
      name: "sluice full sync: kernel maps",
      value: kern.fullMs,
      unit: "ms",
      baseline: "iptables-restore: full load",
      extra: { writes: kern.fullWrites },
    },
    ...(o.nft
      ? [
          {
            name: "nft -f: full load",
            value: tools.nftFull,
            unit: "ms",
            baseline: "iptables-restore: full load",
          },
        ]
      : []),
    { name: "iptables-restore: reload for 1 change", value: tools.iptChange, unit: "ms", extra: { rules } },
    {
      name: "sluice 1 change: memory",
      value: mem.changeMs,
      unit: "ms",
      baseline: "iptables-restore: reload for 1 change",
      extra: { writes: mem.changeWrites, "÷ own full sync": vsFull(mem) },
    },
    {
      name: "sluice 1 change: kernel maps",
      value: kern.changeMs,
      unit: "ms",
      baseline: "iptables-restore: reload for 1 change",
      extra: { writes: kern.changeWrites, "÷ own full sync": vsFull(kern) },
    },
    ...(o.nft
      ? [
          {
            name: "nft -f: 1-change transaction",
            value: tools.nftChange,
            unit: "ms",
            baseline: "iptables-restore: reload for 1 change",
          },
        ]
      : []),
  ];
  return {
    title: `Control plane: ${n.toLocaleString("en-US")} Services × ${o.endpoints} endpoints`,
    rows,
    notes: [
      `sluice: median of ${o.repeats} (computeNatState + NatReconciler, in-process); tools: one run each, wall time incl. process start (kube-proxy pays it too).`,
      "iptables reload = kube-proxy iptables mode without MinimizeIPTablesRestore: the whole nat table on every change.",
    ],
  };
}

/** controlPlaneBench is the registered benchmark. */
export const controlPlaneBench: Benchmark<ControlPlaneOptions> = {
  name: "control-plane",
  summary:
    "program N Services × M endpoints (and one change) via calc+proxy into memory and kernel maps vs. iptables-restore and nft -f",
  needsRoot: true,
  defaults: { services: [100, 1000, 5000], endpoints: 10, repeats: 3, nft: true },
  small: { services: [100, 1000], endpoints: 10, repeats: 1, nft: true },
  async run(ctx, o) {
    const tables: BenchTable[] = [];
    try {
      for (const n of o.services) tables.push(await measureScale(ctx, n, o));
    } finally {
      removeBenchPins();
    }
    return tables;
  },
};
