/**
 * flowlog: flow logs under the highest new-connection rate the lab reaches. A one-node lab with
 * a Sluice agent; two web pods whose NetworkPolicy admits pods labelled role=client (their own
 * egress policy allows the web pods), so an allowed connection gives two flow events (the
 * client's egress, the web pod's ingress), and a stranger whose SYNs the web policy drops (one
 * deny event each). `clients` native TCP_CRR clients (bench/native/tcp-crr.c) open connections
 * back to back for `seconds`, in four phases on the same lab and agent:
 *   off (1) → on → off (2) → on with the agent stalled (SIGSTOP for `stallSeconds`),
 * with flow logs switched by the node's FelixConfiguration (file output to a temp directory,
 * Calico's default aggregation, flushed every `flushSeconds`). The baseline of the on phase is
 * the mean of the two off phases (their drift is the noise floor). Reported: connections/s,
 * agent CPU (utime + stime), flow events produced (read + lost) and read per second, the loss
 * as the agent's metric, the datapath's own sl_counters and the records' `lost_events`, records
 * written. The stall is how the ring overflows: the ring's size is fixed in the object
 * (SL_POL_EVENTS_SIZE), so a consumer that stops reading is what a small ring would show.
 * Each phase talks to its own server port, so no 4-tuple is reused across phases (TIME_WAIT).
 * Lab sl-t-bench-<pid>, pins under /sys/fs/bpf/sluice-bench-<pid>-flowlog; removed in finally.
 * Needs root.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LAB_MAP_SIZES } from "../lab/cluster-resources.ts";
import { applyManifests } from "../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../lab/lab.ts";
import type { NetnsProcess } from "../lab/netns-process.ts";
import { startAgents } from "../lab/start-agents.ts";
import { startTrafficServer } from "../lab/traffic/start-traffic-server.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { readFlowFiles, summarizeFlowRecords, type FlowFileSummary } from "./flow-log-files.ts";
import { runPhase, type PhaseTraffic } from "./flowlog-phase.ts";
import { buildTcpCrr, runTcpCrr } from "./native/native-client.ts";
import { flowlogTables, type FlowlogOptions, type PhaseRun, type PhaseName } from "./flowlog-tables.ts";
import type { BenchTable } from "./result-table.ts";

const NODE = "node-1";
const BASE_PORT = 8080;
/** Phases in order; each uses BASE_PORT + its index. */
const PHASES: readonly PhaseName[] = ["off (1)", "on", "off (2)", "on, agent stalled"];
const SERVERS = ["web-1", "web-2"] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function policies(namespace: string, ports: readonly number[]): unknown[] {
  const to = ports.map((port) => ({ port }));
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web-from-clients", namespace },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: to }],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "clients-to-web", namespace },
      spec: {
        podSelector: { matchLabels: { role: "client" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: { app: "web" } } }], ports: to }],
      },
    },
  ];
}

/** felixConfiguration keeps the lab's map sizes (a change would rebuild maps) and sets flow logs. */
function felixConfiguration(flowDir: string | undefined, flushSeconds: number): unknown {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: `node.${NODE}` },
    spec: {
      ...LAB_MAP_SIZES,
      ...(flowDir === undefined
        ? {}
        : {
            flowLogsFileEnabled: true,
            flowLogsFileDirectory: flowDir,
            flowLogsFlushInterval: `${flushSeconds}s`,
            flowLogsFileIncludePolicies: true,
            flowLogsFileIncludeService: true,
          }),
    },
  };
}

/** flowsStatus is GET /flows's HTTP status: 200 while flow logs are on, 503 while off, 0 for no answer. */
async function flowsStatus(lab: Lab): Promise<number> {
  const url = "http://127.0.0.1:9099/flows";
  const r = await lab.exec(
    NODE,
    ["curl", "-s", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code}", url],
    { timeoutMs: 15_000 },
  );
  return Number(r.stdout.trim()) || 0;
}

/** setFlowLogs writes the FelixConfiguration and waits until the agent follows it. */
async function setFlowLogs(lab: Lab, flowDir: string | undefined, flushSeconds: number): Promise<void> {
  await applyManifests(lab.plan.datastoreDir, [felixConfiguration(flowDir, flushSeconds)]);
  // An agent busy with a backlog may not answer at all: that is neither on nor off, keep asking.
  const want = flowDir !== undefined ? 200 : 503;
  const deadline = Date.now() + 120_000;
  while ((await flowsStatus(lab)) !== want) {
    if (Date.now() > deadline)
      throw new Error(
        `flowlog: the agent did not turn flow logs ${want === 200 ? "on" : "off"} within 120 s`,
      );
    await sleep(250);
  }
  await sleep(1000); // the datapath flag and the reader follow the same sync; let both settle
}

async function runFlowlog(ctx: BenchContext, o: FlowlogOptions): Promise<BenchTable[]> {
  buildTcpCrr(); // fail before the lab exists when there is no compiler
  const name = `sl-t-bench-${process.pid}`;
  const bpffsRoot = `/sys/fs/bpf/sluice-bench-${process.pid}-flowlog`;
  const work = mkdtempSync(join(tmpdir(), "sl-t-bench-flowlog-"));
  const clients = Array.from({ length: o.clients }, (_, i) => `client-${i + 1}`);
  ctx.progress(`flowlog: creating ${name} (1 node, ${o.clients} clients, 2 web pods, 1 stranger)`);
  const lab = await createLab({
    name,
    nodes: 1,
    podsPerNode: 0,
    bpffsRoot,
    pods: [
      ...SERVERS.map((s) => ({ node: NODE, name: s, labels: { app: "web" } })),
      ...clients.map((c) => ({ node: NODE, name: c, labels: { role: "client" } })),
      { node: NODE, name: "stranger", labels: { role: "other" } },
    ],
  });
  let agent: NetnsProcess | undefined;
  try {
    const ports = PHASES.map((_, i) => BASE_PORT + i);
    const listen = ports.map((port) => ({ proto: "tcp" as const, port }));
    // The server's own bound is 1,000,000 requests (over all its ports).
    const maxRequests = Math.min(1_000_000, PHASES.length * o.seconds * 50_000);
    for (const s of SERVERS) await startTrafficServer(lab, s, { listen, maxRequests, lifetimeMs: 3_600_000 });
    // Every connection takes a fresh source port: widen the range (TIME_WAIT holds each for 60 s).
    for (const p of [...clients, "stranger"])
      await lab.exec(p, ["sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535"], { timeoutMs: 5000 });
    const namespace = lab.pod(SERVERS[0]).namespace;
    await applyManifests(lab.plan.datastoreDir, [
      felixConfiguration(undefined, o.flushSeconds),
      ...policies(namespace, ports),
    ]);
    ctx.progress("flowlog: starting the agent");
    agent = (await startAgents(lab, { readyTimeoutMs: 180_000 })).get(NODE);
    if (agent === undefined) throw new Error(`flowlog: no agent on ${NODE}`);
    const runs: PhaseRun[] = [];
    for (const [i, phase] of PHASES.entries()) {
      const port = ports[i]!;
      const on = phase.startsWith("on");
      const flowDir = on ? join(work, `phase-${i}`) : undefined;
      await setFlowLogs(lab, flowDir, o.flushSeconds);
      const traffic: PhaseTraffic = {
        node: NODE,
        clients,
        servers: SERVERS.map((s) => ({ host: lab.pod(s).ip, port })),
        stranger: "stranger",
        deniedTimeoutMs: o.deniedTimeoutMs,
      };
      // Warm each path (ARP, policy programs) outside the measurement: the events it makes are
      // read before the phase's counters are taken (settle below).
      for (const [j, c] of clients.entries())
        await runTcpCrr(lab, c, {
          ...traffic.servers[j % 2]!,
          count: 3,
          deadlineMs: 20_000,
          timeoutMs: 2000,
        });
      await sleep(o.flushSeconds * 1000 + 1000);
      ctx.progress(`flowlog: ${phase}: ${o.seconds} s of new connections on port ${port}`);
      const result = await runPhase(lab, agent, traffic, {
        seconds: o.seconds,
        settleMs: o.flushSeconds * 2000 + 1000,
        stallSeconds: phase === "on, agent stalled" ? o.stallSeconds : 0,
      });
      if (result.allowedOk === 0)
        throw new Error(`flowlog ${phase}: no connection succeeded: ${result.firstError}`);
      ctx.progress(
        `flowlog: ${phase}: ${Math.round(result.connPerSecond)} conn/s, agent ${result.agentCpuPct.toFixed(1)} % CPU, ` +
          `events read ${result.counters.read}, lost ${result.counters.lost}, load ${result.load}`,
      );
      let files: FlowFileSummary | undefined;
      if (flowDir !== undefined) {
        // Switching off closes the interval (the agent flushes on stop): then the files are whole.
        await setFlowLogs(lab, undefined, o.flushSeconds);
        files = summarizeFlowRecords(readFlowFiles(flowDir));
      }
      runs.push({ name: phase, result, ...(files === undefined ? {} : { files }) });
    }
    return flowlogTables(runs, o);
  } finally {
    await lab
      .down()
      .catch((err: unknown) =>
        ctx.progress(`flowlog: down: ${err instanceof Error ? err.message : String(err)}`),
      );
    rmSync(bpffsRoot, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** flowlogBench is `npm run bench -- flowlog`. */
export const flowlogBench: Benchmark<FlowlogOptions> = {
  name: "flowlog",
  summary:
    "flow logs at the lab's highest new-connection rate: events/s read vs. produced, ring-buffer loss (metrics, sl_counters, records), agent CPU and conn/s with flow logs on vs. off, a stalled agent",
  needsRoot: true,
  defaults: { clients: 4, seconds: 20, flushSeconds: 2, stallSeconds: 4, deniedTimeoutMs: 5 },
  small: { clients: 2, seconds: 4, flushSeconds: 1, stallSeconds: 2, deniedTimeoutMs: 5 },
  run: runFlowlog,
};
