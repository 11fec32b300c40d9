/**
 * restart-load: `kill -9` of a node's agent and its restart over the pins, at N Services × 10
 * endpoints, while a client pod on that node streams through a ClusterIP (issue 10's "agent kill -9
 * + restart at 10k Services: ready in < 2 s, zero connection failures under load").
 *
 * One 2-node lab (`lab/`): the demo's echo servers on node-2, a client pod on node-1, an agent
 * per node over the lab's shared file datastore. For each N (ascending, the same lab: 0 is the
 * baseline) the dummy Services are added (one batch into the datastore; endpoints on unrouted
 * addresses of node-2) and node-1's sl_nat_fe is waited for; then `lab/traffic/stream-load.ts`
 * keeps `--streams` echo streams and opens a new connection every `--newMs` through the demo
 * Service's ClusterIP, node-1's agent is killed with SIGKILL after 3 s, restarted at once, and
 * timed until its /readiness answers 200 — `--restarts` times under the same load, 6 s apart (one
 * restart on this 2-vCPU machine ranges ±0.3 s with what the load happens to take: the figure is
 * the median). Reported: ready time, the streams and new connections that failed, resets, the
 * longest stall, and how many NAT entries the restarted agents wrote (from their "adopted and
 * synced nat maps" log line: a restart over unchanged input writes none).
 * Everything is removed in `finally`. Needs root.
 */
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LAB_MAP_SIZES, nodeFelixConfiguration } from "../lab/cluster-resources.ts";
import { createLab, type Lab } from "../lab/lab.ts";
import { demoServiceInfo } from "../lab/demo/demo-services.ts";
import { startDemo } from "../lab/demo/start-demo.ts";
import type { NetnsProcess } from "../lab/netns-process.ts";
import { startAgent, startAgents, waitAgentReady } from "../lab/start-agents.ts";
import { cpuSeconds, machineCpu, threadCpuSeconds } from "./proc-cpu.ts";
import { natStartOf, natWritesOf } from "./nat-start-line.ts";
import { FileDatastore } from "../src/datastore/file-datastore.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { natFrontendCount, waitForFrontends } from "./lab-service-paths.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { percentile } from "./stats.ts";
import { endpointSliceManifest, serviceManifest } from "./service-manifests.ts";
import { intToIpv4, ipv4ToInt, syntheticServices } from "./synthetic-services.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/** RestartLoadOptions: the Service counts (ascending; 0 is the baseline), endpoints, and the load. */
export type RestartLoadOptions = {
  readonly services: readonly number[];
  readonly endpoints: number;
  readonly streams: number;
  readonly newMs: number;
  readonly loadSeconds: number;
  /** Restarts per Service count, one after the other under the same load: the figure is their median. */
  readonly restarts: number;
};

const TSX = fileURLToPath(import.meta.resolve("tsx"));
const STREAM_LOAD = fileURLToPath(new URL("../lab/traffic/stream-load.ts", import.meta.url));
const NODE = "node-1";
const CLIENT = "node-1-pod-1";
const BACKENDS = ["node-2-pod-1", "node-2-pod-2"] as const;
const KILL_AFTER_MS = 3000;
/**
 * Between a restart's ready and the next kill: past the restarted agent's own follow-up (its
 * memory release ~5 s after the first pass), so each restart starts from an idle agent.
 */
const RESTART_GAP_MS = 6000;
/** stream-load's longest run (lab/traffic/stream-load.ts bounds it). */
const STREAM_LOAD_MAX_MS = 60_000;
/** Services written per datastore batch (see runRestartLoad). */
const BATCH = 1000;

/** LoadReport is stream-load's JSON line. */
interface LoadReport {
  readonly streams: number;
  readonly streamsOk: number;
  readonly streamErrors: readonly string[];
  readonly resets: number;
  readonly maxStallMs: number;
  readonly newAttempts: number;
  readonly newOk: number;
  readonly newErrors: readonly string[];
}

/** RestartResult: the restarts at one Service count, and the load that ran through all of them. */
interface RestartResult {
  readonly n: number;
  readonly restarts: readonly OneRestart[];
  readonly load: LoadReport;
}

/** OneRestart is one kill -9 and restart. */
interface OneRestart {
  readonly readyMs: number;
  readonly natWrites: number | undefined;
  /** How the restart learned the NAT state: "snapshot 1000/1010 unchanged", or "read the maps". */
  readonly natStart: string;
  /** The restarted agent's CPU until ready: all its threads, and its main thread alone (s). */
  readonly agentCpu: number;
  readonly agentMainCpu: number;
  /** Every CPU's busy time over the restart (spawn → ready), and the time there was (s). */
  readonly machineBusy: number;
  readonly machineTotal: number;
}

async function restartUnderLoad(
  ctx: BenchContext,
  lab: Lab,
  agents: Map<string, NetnsProcess>,
  n: number,
  o: RestartLoadOptions,
): Promise<RestartResult> {
  const web = demoServiceInfo(lab.plan).web;
  // Every restart and its gap under one load (stream-load runs 60 s at most: 5 restarts fit).
  const loadMs = Math.min(
    STREAM_LOAD_MAX_MS,
    Math.max(o.loadSeconds * 1000, KILL_AFTER_MS + o.restarts * (RESTART_GAP_MS + 4000) + 5000),
  );
  const loadStart = Date.now();
  const load = lab.exec(
    CLIENT,
    [
      process.execPath,
      "--import",
      TSX,
      STREAM_LOAD,
      "--host",
      web,
      "--port",
      "80",
      "--streams",
      String(o.streams),
      "--new-ms",
      String(o.newMs),
      "--chunk-ms",
      "20",
      "--duration-ms",
      String(loadMs),
    ],
    { timeoutMs: loadMs + 30_000 },
  );
  await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
  const restarts: OneRestart[] = [];
  for (let i = 1; i <= o.restarts; i++) {
    if (i > 1) await new Promise((r) => setTimeout(r, RESTART_GAP_MS));
    ctx.progress(`restart-load N=${n}: kill -9 the agent on ${NODE} under load (${i}/${o.restarts})`);
    const r = await killAndRestart(lab, agents);
    ctx.progress(`restart-load N=${n}: ready again in ${(r.readyMs / 1000).toFixed(2)} s; load runs on`);
    restarts.push(r);
  }
  if (Date.now() - loadStart > loadMs)
    throw new Error(
      `restart-load N=${n}: the load (${loadMs} ms) ended before the last restart was ready: use fewer --restarts`,
    );
  const r = await load;
  const report = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as LoadReport;
  return { n, restarts, load: report };
}

/** killAndRestart kills node-1's agent with SIGKILL, starts it again at once, and times it to ready. */
async function killAndRestart(lab: Lab, agents: Map<string, NetnsProcess>): Promise<OneRestart> {
  const old = agents.get(NODE)!;
  process.kill(old.pid, "SIGKILL");
  await old.exited;
  // Ready is when the poller's 200 arrived (its clock: Date.now()), not when the bench saw the
  // poller exit (lab/readiness-poller.ts).
  const t0 = Date.now();
  const cpu0 = machineCpu();
  const fresh = await startAgent(lab, NODE);
  agents.set(NODE, fresh);
  const readyMs = (await waitAgentReady(lab, NODE, 300_000)) - t0;
  const cpu1 = machineCpu();
  const agentCpu = cpuSeconds(fresh.pid);
  const agentMainCpu = threadCpuSeconds(fresh.pid);
  const log = fresh.logFile === undefined ? "" : readFileSync(fresh.logFile, "utf8");
  return {
    readyMs,
    natWrites: natWritesOf(log),
    natStart: natStartOf(log),
    agentCpu,
    agentMainCpu,
    machineBusy: cpu1.busy - cpu0.busy,
    machineTotal: cpu1.total - cpu0.total,
  };
}

/**
 * dummies: N Services × M endpoints "on node-2", after the lab's own ClusterIPs. The endpoints
 * are unrouted addresses of the lab's pod pool above its node blocks (198.19.16.1–198.19.255.254,
 * reused round-robin past ~61k: 100k distinct ones would leave 198.18.0.0/15); no traffic goes
 * to them.
 */
function dummies(lab: Lab, count: number, endpoints: number): SyntheticService[] {
  const base = ipv4ToInt(lab.plan.serviceCidr.split("/")[0]!);
  const first = ipv4ToInt("198.19.16.0");
  const usable = 240 * 254;
  let k = 0;
  const next = (): string => {
    const i = k++ % usable;
    return intToIpv4(first + Math.floor(i / 254) * 256 + (i % 254) + 1);
  };
  return syntheticServices({
    count,
    endpointsPerService: endpoints,
    clusterIpBase: intToIpv4(base + 1024),
    namePrefix: "dummy",
    nodeName: "node-2",
  }).map((s) => ({ ...s, endpoints: s.endpoints.map(() => next()) }));
}

async function runRestartLoad(ctx: BenchContext, o: RestartLoadOptions): Promise<BenchTable[]> {
  const name = `sl-t-bench-${process.pid}-rl`;
  const bpffsRoot = `/sys/fs/bpf/sluice-bench-${process.pid}-rl`;
  ctx.progress(`restart-load: creating ${name} (2 nodes)`);
  const lab = await createLab({ name, nodes: 2, podsPerNode: 2, bpffsRoot });
  const results: RestartResult[] = [];
  try {
    await startDemo(lab, {
      backends: BACKENDS.map((b) => lab.pod(b)),
      agents: false,
      serverLifetimeMs: 3_600_000,
    });
    // The lab's nodes run with small NAT maps (LAB_MAP_SIZES: 65,536 backends); at 10k × 10 the
    // agent would keep Services out as "map full". Calico's defaults, as an agent without a
    // FelixConfiguration uses: 65,536 frontends, 262,144 backends.
    const most = Math.max(...o.services);
    if (most * o.endpoints > LAB_MAP_SIZES.bpfMapSizeNATBackend * 0.9) {
      const store = new FileDatastore(lab.plan.datastoreDir);
      try {
        await store.applyBatch(
          lab.nodes.map((node) => {
            const felix = nodeFelixConfiguration(node);
            return {
              ...felix,
              spec: { ...felix.spec, bpfMapSizeNATFrontend: 65_536, bpfMapSizeNATBackend: 262_144 },
            };
          }),
        );
      } finally {
        await store.close();
      }
    }
    const agents = await startAgents(lab, { readyTimeoutMs: 300_000 });
    const demoFrontends = natFrontendCount(lab, NODE);
    let written = 0;
    for (const n of [...o.services].sort((a, b) => a - b)) {
      if (n > written) {
        ctx.progress(`restart-load: writing ${n - written} Services × ${o.endpoints} into the datastore`);
        const all = dummies(lab, n, o.endpoints);
        // In batches of 1,000 Services, each waited for: one batch of 20,000 files overflowed the
        // agents' inotify queue (fs.inotify.max_queued_events 16,384) and they missed ~20 % of
        // it until their 10-minute full rescan (bench/README.md, restart-load).
        for (let from = written; from < n; from += BATCH) {
          const store = new FileDatastore(lab.plan.datastoreDir);
          try {
            const add = all.slice(from, Math.min(n, from + BATCH));
            await store.applyBatch(add.flatMap((s) => [serviceManifest(s), endpointSliceManifest(s)]));
          } finally {
            await store.close();
          }
          await waitForFrontends(lab, NODE, demoFrontends + Math.min(n, from + BATCH), 300_000);
        }
        written = n;
        await new Promise((r) => setTimeout(r, 5000)); // let both agents go idle
      }
      results.push(await restartUnderLoad(ctx, lab, agents, n, o));
    }
  } finally {
    await lab
      .down()
      .catch((err: unknown) =>
        ctx.progress(`restart-load: down: ${err instanceof Error ? err.message : String(err)}`),
      );
    rmSync(bpffsRoot, { recursive: true, force: true });
  }
  return [table(results)];
}

function table(results: readonly RestartResult[]): BenchTable {
  const rows: BenchRow[] = [];
  const base = results.find((r) => r.n === 0);
  const at = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));
  const ms = (x: number): string => Math.round(x).toLocaleString("en-US");
  for (const r of results) {
    const l = r.load;
    const failed = l.streams - l.streamsOk + (l.newAttempts - l.newOk);
    const ready = r.restarts.map((x) => x.readyMs);
    const sorted = [...ready].sort((x, y) => x - y);
    // The restart whose ready time is the median: its CPU columns go with the figure.
    const mid = r.restarts[ready.indexOf(percentile(sorted, 0.5))]!;
    rows.push({
      name: `kill -9 → ready again, ${at(r.n)} Services`,
      value: Math.round(percentile(sorted, 0.5)),
      unit: "ms",
      ...(base !== undefined && base !== r ? { baseline: `kill -9 → ready again, ${at(0)} Services` } : {}),
      extra: {
        target: "< 2 s at 10k",
        restarts: `${r.restarts.length}: ${ready.map(ms).join(" · ")}`,
        "under 2 s": `${ready.filter((x) => x < 2000).length}/${ready.length}`,
        "agent cpu (main)": `${mid.agentCpu.toFixed(2)} s (${mid.agentMainCpu.toFixed(2)} s)`,
        "machine busy": `${((100 * mid.machineBusy) / Math.max(mid.machineTotal, 1e-9)).toFixed(0)} %`,
        "others' cpu": `${Math.max(0, mid.machineBusy - mid.agentCpu).toFixed(2)} s`,
      },
    });
    rows.push({
      name: `connections failed while restarting, ${at(r.n)}`,
      value: failed,
      unit: "conns",
      extra: {
        streams: `${l.streamsOk}/${l.streams}`,
        new: `${l.newOk}/${l.newAttempts}`,
        resets: l.resets,
        "max stall ms": Math.round(l.maxStallMs),
        target: "0",
        ...(failed > 0 ? { errors: [...l.streamErrors, ...l.newErrors].slice(0, 3).join("; ") } : {}),
      },
    });
    const writes = r.restarts.map((x) => x.natWrites ?? NaN);
    rows.push({
      name: `NAT entries written by the restarts, ${at(r.n)}`,
      value: writes.reduce((x, y) => x + y, 0),
      unit: "writes",
      extra: { "nat state": [...new Set(r.restarts.map((x) => x.natStart))].join("; ") },
    });
  }
  return {
    title:
      "Agent kill -9 + restart under load (ratio: vs. the same restart with 0 extra Services, same lab and run)",
    rows,
    notes: [
      "load: stream-load from a pod on node-1 through the demo ClusterIP to echo servers on node-2; the agent on node-1 is killed 3 s in and restarted at once, `--restarts` times, 6 s after each ready; the figure is the median restart (its CPU columns are that restart's), failures count the whole load",
      "ready: agent spawn → the first /readiness 200 arrives (one poller in the node's namespace asking every 10 ms and never giving up on a request the busy agent has yet to answer, lab/readiness-poller.ts)",
      "agent cpu: the restarted agent's utime + stime until ready, all threads (its main thread's alone); machine busy: every CPU's non-idle share over spawn → ready (/proc/stat); others' cpu: that busy time less the agent's — the load, the echo servers, the other agent, the kernel's softirqs",
      "NAT entries written: the sum over the restarted agents' first syncs (their 'adopted and synced nat maps' log lines); nat state: restored from its snapshot (Services whose input was unchanged) or read from the maps",
    ],
  };
}

/** restartLoadBench is `npm run bench -- restart-load`. */
export const restartLoadBench: Benchmark<RestartLoadOptions> = {
  name: "restart-load",
  summary:
    "kill -9 + restart of a node's agent at N Services under streaming load: ready time, failed connections",
  needsRoot: true,
  defaults: { services: [0, 10_000], endpoints: 10, streams: 50, newMs: 10, loadSeconds: 40, restarts: 5 },
  small: { services: [0, 1000], endpoints: 10, streams: 20, newMs: 20, loadSeconds: 15, restarts: 2 },
  run: runRestartLoad,
};
