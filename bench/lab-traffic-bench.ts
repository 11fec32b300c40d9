/**
 * Lab traffic benchmark: in one 2-node lab, a pod on node-1 talks to pods on node-2
 *   - by pod IP, no Service (the baseline; measured at the start and again before the agents);
 *   - through a ClusterIP served by kube-proxy's iptables layout in node-1's namespace;
 *   - through the same ClusterIP served by kube-proxy's nftables (verdict map) layout;
 *   - through the same ClusterIP served by Sluice's eBPF datapath (agents on both nodes);
 * and the lab's external client reaches the same pods
 *   - by pod IP (that group's baseline, also measured twice);
 *   - through node-1's NodePort served by the iptables layout, the nftables layout, and Sluice
 *     in Tunnel and then DSR mode (FelixConfiguration bpfExternalServiceMode, switched live);
 * each with 0, 1,000 and 10,000 extra dummy Services, measuring TCP connect+request latency
 * (p50/p99) and connection rate (bench/native/tcp-crr.c: one new connection per request, a few
 * system calls of its own, so the path's cost is not hidden under a Node.js client's) and, pod
 * to pod, iperf3 throughput. Writes the chart to bench/img/lab-traffic.png and beside the JSON.
 * Sluice goes last: its pinned programs stay attached, by design, until the lab is removed.
 * Lab named sl-t-bench-<pid>, pins under /sys/fs/bpf/sluice-bench-<pid>-lab, all removed in
 * finally. Needs root.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createLab } from "../lab/lab.ts";
import type { Lab } from "../lab/lab.ts";
import { DEFAULT_LAB_ADDRESSES } from "../lab/lab-spec.ts";
import { startAgents } from "../lab/start-agents.ts";
import { runTrafficClient } from "../lab/traffic/run-traffic-client.ts";
import { startTrafficServer } from "../lab/traffic/start-traffic-server.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { setExternalServiceMode } from "./external-service-mode.ts";
import { hasIperf3, measureIperf3 } from "./iperf3.ts";
import {
  labTrafficChartPng,
  labTrafficTables,
  type PathGroup,
  type PathResult,
} from "./lab-traffic-report.ts";
import { buildTcpCrr, connectionRate, runTcpCrr } from "./native/native-client.ts";
import { progressSteps, type ProgressSteps } from "./progress-steps.ts";
import {
  applyServices,
  installIptables,
  installNft,
  removeIptables,
  removeNft,
  waitForFrontends,
} from "./lab-service-paths.ts";
import type { BenchTable } from "./result-table.ts";
import { RESULTS_DIR } from "./write-result.ts";
import { intToIpv4, ipv4ToInt, syntheticServices } from "./synthetic-services.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/**
 * LabTrafficOptions: requests per path, iperf3 seconds (0 = skip), the dummy Service counts, and
 * how long the running agents get to program each count's Services before Sluice's rows at that
 * count are left out (with a note).
 */
export type LabTrafficOptions = {
  readonly requests: number;
  readonly iperfSeconds: number;
  readonly dummyServices: readonly number[];
  readonly programSeconds: number;
};

const HTTP_PORT = 8080;
const IPERF_PORT = 5201;
const CLIENT = "node-1-pod-1";
/** The lab's external client namespace (on the underlay, routes to the pod CIDRs via their nodes). */
const EXTERNAL = "client";
const NODE_PORT = 30080;
/** How long the agents get to go idle after programming, before Sluice's paths are measured. */
const SETTLE_MS = 5000;
const BACKENDS = ["node-2-pod-1", "node-2-pod-2"] as const;

const nth = (cidr: string, n: number): string => intToIpv4(ipv4ToInt(cidr.split("/")[0]!) + n);

/** benchServices are the two Services every path serves: TCP 80 → both backends, iperf3 → the first. */
function benchServices(lab: Lab): { web: SyntheticService; iperf: SyntheticService } {
  const base = { namespace: "bench", nodeName: "node-2" };
  const ips = BACKENDS.map((p) => lab.pod(p).ip);
  return {
    web: {
      ...base,
      name: "bench-web",
      clusterIP: nth(lab.plan.serviceCidr, 200),
      port: 80,
      targetPort: HTTP_PORT,
      endpoints: ips,
      nodePort: NODE_PORT,
    },
    // iperf3 opens a control and a data connection that must meet the same server: one endpoint.
    iperf: {
      ...base,
      name: "bench-iperf",
      clusterIP: nth(lab.plan.serviceCidr, 201),
      port: IPERF_PORT,
      targetPort: IPERF_PORT,
      endpoints: ips.slice(0, 1),
    },
  };
}

/** dummies are Services nobody calls, with endpoints on unrouted pod addresses, after the lab's own range. */
function dummies(lab: Lab, count: number): SyntheticService[] {
  return syntheticServices({
    count,
    endpointsPerService: 2,
    clusterIpBase: nth(lab.plan.serviceCidr, 1024),
    endpointBase: "198.19.100.1",
    namePrefix: "dummy",
    nodeName: "node-2",
  });
}

/** Path is one way to reach the web backends: which group, from where, to which address. */
interface Path {
  readonly group: PathGroup;
  readonly contender: string;
  readonly extra: number | null;
  readonly web: { host: string; port: number };
  /** The iperf3 target, pod group only (NodePort throughput is the nodeport-bulk bench's). */
  readonly iperf?: { host: string; port: number };
}

async function measurePath(
  steps: ProgressSteps,
  lab: Lab,
  p: Path,
  o: LabTrafficOptions,
): Promise<PathResult> {
  const from = p.group === "pod" ? CLIENT : EXTERNAL;
  const withIperf = p.iperf !== undefined && o.iperfSeconds > 0 && hasIperf3();
  steps.step(
    `${p.contender}${p.extra ? ` + ${p.extra} Services` : ""} (${from} → ${p.web.host}:${p.web.port}): ${o.requests} connections${withIperf ? `, iperf3 ${o.iperfSeconds} s` : ""}`,
  );
  // Warm the path (ARP, conntrack) so the first connection's cost is not counted.
  const crr = { host: p.web.host, port: p.web.port, timeoutMs: 2000 };
  await runTcpCrr(lab, from, { ...crr, count: 5, deadlineMs: 20_000 });
  const r = await runTcpCrr(lab, from, {
    ...crr,
    count: o.requests,
    deadlineMs: Math.max(60_000, o.requests * 100),
  });
  if (r.ok === 0) throw new Error(`lab ${p.contender}: no connection succeeded: ${r.first_error ?? "?"}`);
  const bps =
    withIperf && p.iperf
      ? await measureIperf3(lab, {
          server: BACKENDS[0],
          client: from,
          host: p.iperf.host,
          port: p.iperf.port,
          serverPort: IPERF_PORT,
          seconds: o.iperfSeconds,
        })
      : Number.NaN;
  return {
    group: p.group,
    contender: p.contender,
    extra: p.extra,
    p50: r.p50_us / 1000,
    p99: r.p99_us / 1000,
    rate: connectionRate(r),
    ok: r.ok,
    failed: r.failed,
    bps,
  };
}

/** waitReachable retries one connection from `from` until the address answers (agents program asynchronously). */
async function waitReachable(
  lab: Lab,
  from: string,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await runTrafficClient(lab, from, { host, port, count: 1, timeoutMs: 1000, deadlineMs: 5000 });
    if (r.ok === 1) return;
    last = r.errors[0]?.error ?? "failed";
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`lab: ${host}:${port} not reachable from ${from} after ${timeoutMs} ms (${last})`);
}

/** CHART is the latest chart, shown by bench/README.md (a copy goes beside the run's JSON). */
const CHART = new URL("./img/lab-traffic.png", import.meta.url);

async function writeChart(ctx: BenchContext, results: readonly PathResult[]): Promise<void> {
  const png = await labTrafficChartPng(results);
  mkdirSync(new URL(".", CHART), { recursive: true });
  writeFileSync(CHART, png);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const copy = `${RESULTS_DIR}lab-traffic-${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
  writeFileSync(copy, png);
  ctx.progress(`lab: chart written to ${CHART.pathname} and ${copy}`);
}

async function runLabTraffic(ctx: BenchContext, o: LabTrafficOptions): Promise<BenchTable[]> {
  buildTcpCrr(); // fail before the lab exists when there is no compiler

  if (o.iperfSeconds > 0 && !hasIperf3())
    ctx.progress("lab: iperf3 not installed (Debian `iperf3`, scripts/setup.sh): throughput skipped");
  const name = `sl-t-bench-${process.pid}`;
  const bpffsRoot = `/sys/fs/bpf/sluice-bench-${process.pid}-lab`;
  const extras = [...new Set(o.dummyServices)].sort((a, b) => a - b);
  // Per count: 2 kube-proxy layouts × (install + 2 paths); Sluice: program, ClusterIP,
  // NodePort Tunnel, → DSR, NodePort DSR, → Tunnel. Plus 2 × 2 direct runs and the agents' start.
  const steps = progressSteps(ctx, "lab-traffic", 5 + 12 * extras.length);
  ctx.progress(`lab: creating ${name} (2 nodes, external client)`);
  const lab = await createLab({ name, nodes: 2, podsPerNode: 2, bpffsRoot });
  try {
    const lifetimeMs = 3_600_000;
    for (const p of BACKENDS)
      await startTrafficServer(lab, p, { port: HTTP_PORT, maxRequests: 1_000_000, lifetimeMs });
    const { web, iperf } = benchServices(lab);
    // The lab uses the default address plan: its pod pool is the cluster CIDR.
    const layout = { clusterCidr: DEFAULT_LAB_ADDRESSES.podPool } as const;
    const viaVip = { host: web.clusterIP, port: web.port };
    const iperfVip = { host: iperf.clusterIP, port: iperf.port };
    const viaNodePort = { host: lab.node("node-1").ip, port: NODE_PORT };
    const direct = { host: lab.pod(BACKENDS[0]).ip, port: HTTP_PORT };
    const iperfDirect = { host: lab.pod(BACKENDS[0]).ip, port: IPERF_PORT };
    const results: PathResult[] = [];
    const measure = async (p: Path): Promise<void> => {
      results.push(await measurePath(steps, lab, p, o));
    };
    const measureDirect = async (): Promise<void> => {
      await measure({
        group: "pod",
        contender: "pod IP direct",
        extra: null,
        web: direct,
        iperf: iperfDirect,
      });
      await measure({ group: "external", contender: "client → pod IP direct", extra: null, web: direct });
    };
    const measureKubeProxy = async (contender: string, extra: number): Promise<void> => {
      await measure({
        group: "pod",
        contender: `ClusterIP via ${contender}`,
        extra,
        web: viaVip,
        iperf: iperfVip,
      });
      await measure({ group: "external", contender: `NodePort via ${contender}`, extra, web: viaNodePort });
    };

    await measureDirect();
    for (const n of extras) {
      // The bench Services last: kube-proxy's KUBE-SERVICES is a list walked in order.
      steps.step(`iptables-restore of kube-proxy's layout, ${n + 2} Services, in node-1`);
      const ms = await installIptables(lab, "node-1", [...dummies(lab, n), web, iperf], layout);
      ctx.progress(`lab: iptables-restore of ${n + 2} Services took ${Math.round(ms)} ms`);
      try {
        await measureKubeProxy("iptables", n);
      } finally {
        await removeIptables(lab, "node-1");
      }
    }
    for (const n of extras) {
      steps.step(`nft -f of kube-proxy's nftables layout, ${n + 2} Services, in node-1`);
      const ms = await installNft(lab, "node-1", [...dummies(lab, n), web, iperf], layout);
      ctx.progress(`lab: nft -f of ${n + 2} Services took ${Math.round(ms)} ms`);
      try {
        await measureKubeProxy("nftables", n);
      } finally {
        await removeNft(lab, "node-1");
      }
    }
    await measureDirect();

    steps.step("writing the bench Services and starting a sluice agent on each node");
    await applyServices(lab, [web, iperf]);
    // On the 2-core machine under other jobs an agent has taken over 60 s to become ready.
    await startAgents(lab, { readyTimeoutMs: 180_000 });
    let applied = 0;
    const unmeasured: string[] = [];
    for (const n of extras) {
      steps.step(`Sluice: ${n + 2} Services in the datastore, waiting for node-1's maps`);
      if (n > applied) {
        await applyServices(lab, dummies(lab, n).slice(applied));
        applied = n;
      }
      try {
        await waitForFrontends(lab, "node-1", n + 2, o.programSeconds * 1000);
      } catch (err) {
        // Keep what was measured: a table without Sluice at this count, said so, beats no table.
        const why = err instanceof Error ? err.message : String(err);
        unmeasured.push(
          `Sluice + ${n.toLocaleString("en-US")} Services not measured: ${why} (the dummies were written to the running agents' datastore in one go; --programSeconds raises the wait).`,
        );
        ctx.progress(`lab: ${unmeasured.at(-1)}`);
        break;
      }
      await waitReachable(lab, CLIENT, web.clusterIP, web.port, 30_000);
      await waitReachable(lab, EXTERNAL, viaNodePort.host, viaNodePort.port, 30_000);
      // The agents may still be digesting the datastore writes; on 2 cores their CPU would be
      // charged to the datapath. The iptables/nftables paths have no such process to wait for.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const sluice = "Sluice eBPF";
      await measure({
        group: "pod",
        contender: `ClusterIP via ${sluice}`,
        extra: n,
        web: viaVip,
        iperf: iperfVip,
      });
      await measure({
        group: "external",
        contender: `NodePort via ${sluice}, Tunnel`,
        extra: n,
        web: viaNodePort,
      });
      steps.step("Sluice: bpfExternalServiceMode → DSR");
      await setExternalServiceMode(lab, "DSR");
      await measure({
        group: "external",
        contender: `NodePort via ${sluice}, DSR`,
        extra: n,
        web: viaNodePort,
      });
      steps.step("Sluice: bpfExternalServiceMode → Tunnel");
      await setExternalServiceMode(lab, "Tunnel");
    }
    await writeChart(ctx, results);
    const tables = labTrafficTables(results, o);
    return tables.map((t, i) => (i === 0 ? { ...t, notes: [...(t.notes ?? []), ...unmeasured] } : t));
  } finally {
    await lab
      .down()
      .catch((err: unknown) =>
        ctx.progress(`lab: down: ${err instanceof Error ? err.message : String(err)}`),
      );
    rmSync(bpffsRoot, { recursive: true, force: true });
  }
}

/** labTrafficBench is the registered benchmark. */
export const labTrafficBench: Benchmark<LabTrafficOptions> = {
  name: "lab-traffic",
  summary:
    "2-node lab: pod → pod IP vs. ClusterIP, and external client → pod IP vs. NodePort, via iptables, nftables and Sluice eBPF (Tunnel, DSR), with 0, 1,000 and 10,000 extra Services (native client latency and conn/s, iperf3; chart and markdown)",
  needsRoot: true,
  defaults: { requests: 2000, iperfSeconds: 5, dummyServices: [0, 1000, 10_000], programSeconds: 300 },
  small: { requests: 200, iperfSeconds: 2, dummyServices: [0, 1000], programSeconds: 300 },
  run: runLabTraffic,
};
