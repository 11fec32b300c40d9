/**
 * Lab traffic benchmark: in one 2-node lab, a pod on node-1 talks to pods on node-2
 *   - by pod IP, no Service (the baseline; measured at the start and again before the agents);
 *   - through a ClusterIP served by kube-proxy's iptables layout in node-1's namespace;
 *   - through the same ClusterIP served by kube-proxy's nftables (verdict map) layout;
 *   - through the same ClusterIP served by Sluice's eBPF datapath (agents on both nodes);
 * each with 0, 1,000 and 10,000 extra dummy Services, measuring TCP connect+request latency
 * (p50/p99, bench/native/tcp-crr.c: one new connection per request, a few system calls of its
 * own, so the path's cost is not hidden under a Node.js client's) and iperf3 throughput.
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
import { hasIperf3, measureIperf3 } from "./iperf3.ts";
import { buildTcpCrr, runTcpCrr } from "./native/native-client.ts";
import { scaleChartPng, type ChartPoint } from "./scale-chart.ts";
import {
  applyServices,
  installIptables,
  installNft,
  removeIptables,
  removeNft,
  waitForFrontends,
} from "./lab-service-paths.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { formatNumber } from "./result-table.ts";
import { intToIpv4, ipv4ToInt, syntheticServices } from "./synthetic-services.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/** LabTrafficOptions: requests per path, iperf3 seconds (0 = skip), and the dummy Service counts. */
export type LabTrafficOptions = {
  readonly requests: number;
  readonly iperfSeconds: number;
  readonly dummyServices: readonly number[];
};

const HTTP_PORT = 8080;
const IPERF_PORT = 5201;
const CLIENT = "node-1-pod-1";
/** How long the agents get to go idle after programming, before Sluice's paths are measured. */
const SETTLE_MS = 5000;
const BACKENDS = ["node-2-pod-1", "node-2-pod-2"] as const;

/** PathResult is one path's measurements. */
interface PathResult {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly failed: number;
  readonly bps: number;
}

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

async function measurePath(
  ctx: BenchContext,
  lab: Lab,
  name: string,
  web: { host: string; port: number },
  iperf: { host: string; port: number },
  o: LabTrafficOptions,
): Promise<PathResult> {
  ctx.progress(
    `lab: ${name}: ${o.requests} connections${o.iperfSeconds > 0 && hasIperf3() ? `, iperf3 ${o.iperfSeconds} s` : ""}`,
  );
  // Warm the path (ARP, conntrack) so the first connection's cost is not counted.
  const crr = { host: web.host, port: web.port, timeoutMs: 2000 };
  await runTcpCrr(lab, CLIENT, { ...crr, count: 5, deadlineMs: 20_000 });
  const r = await runTcpCrr(lab, CLIENT, {
    ...crr,
    count: o.requests,
    deadlineMs: Math.max(60_000, o.requests * 100),
  });
  if (r.ok === 0) throw new Error(`lab ${name}: no connection succeeded: ${r.first_error ?? "?"}`);
  const bps =
    o.iperfSeconds > 0 && hasIperf3()
      ? await measureIperf3(lab, {
          server: BACKENDS[0],
          client: CLIENT,
          host: iperf.host,
          port: iperf.port,
          serverPort: IPERF_PORT,
          seconds: o.iperfSeconds,
        })
      : Number.NaN;
  return { name, p50: r.p50_us / 1000, p99: r.p99_us / 1000, ok: r.ok, failed: r.failed, bps };
}

/** waitReachable retries one connection until the Service answers (agents program asynchronously). */
async function waitReachable(lab: Lab, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await runTrafficClient(lab, CLIENT, {
      host,
      port,
      count: 1,
      timeoutMs: 1000,
      deadlineMs: 5000,
    });
    if (r.ok === 1) return;
    last = r.errors[0]?.error ?? "failed";
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`lab: ${host}:${port} not reachable from ${CLIENT} after ${timeoutMs} ms (${last})`);
}

function tables(results: readonly PathResult[], o: LabTrafficOptions): BenchTable[] {
  const [b1, b2, ...rest] = results;
  if (!b1 || !b2) return [];
  const base = "pod IP direct (no Service)";
  const basePath: PathResult = {
    name: base,
    p50: (b1.p50 + b2.p50) / 2,
    p99: (b1.p99 + b2.p99) / 2,
    ok: b1.ok + b2.ok,
    failed: b1.failed + b2.failed,
    bps: (b1.bps + b2.bps) / 2,
  };
  const all = [basePath, ...rest];
  const p99Base = basePath.p99;
  const latency: BenchRow[] = all.map((r, i) => ({
    name: r.name,
    value: r.p50,
    unit: "ms p50",
    ...(i > 0 ? { baseline: base } : {}),
    extra: { "p99 ms": r.p99, "p99 ×": r.p99 / p99Base, ok: r.ok, failed: r.failed },
  }));
  const out: BenchTable[] = [
    {
      title: "Lab: TCP connect + request latency, pod on node-1 → pods on node-2",
      rows: latency,
      notes: [
        `${o.requests} new connections per path (bench/native/tcp-crr.c: connect, send, read the reply and echo, close; timed per connection).`,
        "baseline = mean of two runs (start, and just before the agents); iptables rules of the bench Services are last in KUBE-SERVICES.",
        `baseline drift (2nd run ÷ 1st): p50 ${formatNumber(b2.p50 / b1.p50)}×, p99 ${formatNumber(b2.p99 / b1.p99)}× — the noise floor of this machine.`,
      ],
    },
  ];
  if (all.every((r) => Number.isFinite(r.bps))) {
    out.push({
      title: "Lab: iperf3 TCP throughput, pod on node-1 → pod on node-2",
      rows: all.map((r, i) => ({
        name: r.name,
        value: r.bps / 1e9,
        unit: "Gbit/s",
        ...(i > 0 ? { baseline: base } : {}),
      })),
      notes: [
        `${o.iperfSeconds} s per path, one stream; ratio < 1 = slower than the pod IP (higher is better here).`,
      ],
    });
  }
  return out;
}

/** CHART is where the latency chart goes (committed with bench/README.md's figures). */
const CHART = new URL("./img/lab-traffic-latency.png", import.meta.url);

/**
 * writeLatencyChart draws p50 latency against the number of Services, one line per path. The
 * "0 extra" runs have the 2 bench Services (iptables, nftables, Sluice); pod IP direct has no
 * Service and is drawn flat across the range as the floor.
 */
async function writeLatencyChart(ctx: BenchContext, results: readonly PathResult[]): Promise<void> {
  const points: ChartPoint[] = [];
  const direct = results.filter((r) => r.name.startsWith("pod IP direct"));
  const floor = direct.reduce((a, r) => a + r.p50, 0) / Math.max(1, direct.length);
  const counts = new Set<number>();
  for (const r of results) {
    const m = /^ClusterIP via (\S+(?: eBPF)?)(?: \+ ([\d,]+) Services)?$/.exec(r.name);
    if (!m) continue;
    const services = 2 + Number((m[2] ?? "0").replace(/,/g, ""));
    counts.add(services);
    points.push({ series: `ClusterIP via ${m[1]}`, services, ms: r.p50 });
  }
  for (const n of counts) points.push({ series: "pod IP direct (no Service)", services: n, ms: floor });
  mkdirSync(new URL(".", CHART), { recursive: true });
  writeFileSync(
    CHART,
    await scaleChartPng("Lab: TCP connect + request + response, p50 (native client)", points, {
      y: "p50 milliseconds per connection (log)",
      x: "Services in the node's dataplane",
    }),
  );
  ctx.progress(`lab: chart written to ${CHART.pathname}`);
}

async function runLabTraffic(ctx: BenchContext, o: LabTrafficOptions): Promise<BenchTable[]> {
  buildTcpCrr(); // fail before the lab exists when there is no compiler

  if (o.iperfSeconds > 0 && !hasIperf3())
    ctx.progress("lab: iperf3 not installed (Debian `iperf3`, scripts/setup.sh): throughput skipped");
  const name = `sl-t-bench-${process.pid}`;
  const bpffsRoot = `/sys/fs/bpf/sluice-bench-${process.pid}-lab`;
  ctx.progress(`lab: creating ${name} (2 nodes)`);
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
    const direct = { host: lab.pod(BACKENDS[0]).ip, port: HTTP_PORT };
    const iperfDirect = { host: lab.pod(BACKENDS[0]).ip, port: IPERF_PORT };
    const results: PathResult[] = [];
    const extras = [...o.dummyServices].sort((a, b) => a - b);
    const label = (n: number): string => (n === 0 ? "" : ` + ${n.toLocaleString("en-US")} Services`);

    results.push(await measurePath(ctx, lab, "pod IP direct, run 1", direct, iperfDirect, o));
    for (const n of extras) {
      // The bench Services last: kube-proxy's KUBE-SERVICES is a list walked in order.
      const ms = await installIptables(lab, "node-1", [...dummies(lab, n), web, iperf], layout);
      ctx.progress(`lab: iptables-restore of ${n + 2} Services took ${Math.round(ms)} ms`);
      try {
        results.push(await measurePath(ctx, lab, `ClusterIP via iptables${label(n)}`, viaVip, iperfVip, o));
      } finally {
        await removeIptables(lab, "node-1");
      }
    }
    for (const n of extras) {
      const ms = await installNft(lab, "node-1", [...dummies(lab, n), web, iperf], layout);
      ctx.progress(`lab: nft -f of ${n + 2} Services took ${Math.round(ms)} ms`);
      try {
        results.push(await measurePath(ctx, lab, `ClusterIP via nftables${label(n)}`, viaVip, iperfVip, o));
      } finally {
        await removeNft(lab, "node-1");
      }
    }
    results.splice(1, 0, await measurePath(ctx, lab, "pod IP direct, run 2", direct, iperfDirect, o));

    ctx.progress("lab: writing the bench Services and starting a sluice agent on each node");
    await applyServices(lab, [web, iperf]);
    // On the 2-core machine under other jobs an agent has taken over 60 s to become ready.
    await startAgents(lab, { readyTimeoutMs: 180_000 });
    let applied = 0;
    for (const n of extras) {
      if (n > applied) {
        ctx.progress(`lab: writing ${n - applied} dummy Services to the datastore`);
        await applyServices(lab, dummies(lab, n).slice(applied));
        applied = n;
      }
      await waitForFrontends(lab, "node-1", n + 2, 300_000);
      await waitReachable(lab, web.clusterIP, web.port, 30_000);
      // The agents may still be digesting the datastore writes; on 2 cores their CPU would be
      // charged to the datapath. The iptables/nftables paths have no such process to wait for.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      results.push(await measurePath(ctx, lab, `ClusterIP via Sluice eBPF${label(n)}`, viaVip, iperfVip, o));
    }
    await writeLatencyChart(ctx, results);
    return tables(results, o);
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
    "2-node lab: pod → pod IP vs. ClusterIP via iptables, nftables and Sluice eBPF, with 0, 1,000 and 10,000 extra Services (native client latency, iperf3; chart in bench/img/)",
  needsRoot: true,
  defaults: { requests: 2000, iperfSeconds: 5, dummyServices: [0, 1000, 10_000] },
  small: { requests: 200, iperfSeconds: 2, dummyServices: [0, 1000] },
  run: runLabTraffic,
};
