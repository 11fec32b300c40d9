/**
 * One phase of the flowlog bench: the native TCP_CRR clients (bench/native/tcp-crr.c) open new
 * connections as fast as they can for a fixed time — allowed clients to the web pods, one
 * stranger whose SYNs the web pods' policy drops — while the agent's CPU (utime + stime from
 * /proc), its flow-log counters (/metrics) and the datapath's own counters (sl_counters, read
 * from the pin) are taken before and after. A `stall` pauses the agent (SIGSTOP) in the middle
 * of the traffic: a consumer that cannot keep up, so the ring buffer overflows. Bench-only.
 */
import { readFileSync } from "node:fs";
import { cpuSeconds } from "./proc-cpu.ts";
import type { Lab } from "../lab/lab.ts";
import type { NetnsProcess } from "../lab/netns-process.ts";
import { BpfMap } from "../src/bpf/map.ts";
import { SL_MAP } from "../src/datapath/abi/datapath-names.ts";
import type { DatapathMaps } from "../src/datapath/datapath-maps.ts";
import { mapPinPath } from "../src/datapath/datapath-maps.ts";
import { readCounterTotals } from "../src/datapath/datapath-stats.ts";
import { runTcpCrr, type CrrReport } from "./native/native-client.ts";

/** The agent's Prometheus port (Felix's default). */
const METRICS_URL = "http://127.0.0.1:9091/metrics";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PhaseTraffic is who connects where: allowed clients round-robin over the servers, one denied. */
export interface PhaseTraffic {
  readonly node: string;
  readonly clients: readonly string[];
  readonly servers: readonly { host: string; port: number }[];
  readonly stranger: string;
  /** How long one denied connect waits before the client gives up and tries the next. */
  readonly deniedTimeoutMs: number;
}

/** PhaseOptions: how long traffic runs, how long the agent gets to flush after, an optional stall. */
export interface PhaseOptions {
  readonly seconds: number;
  readonly settleMs: number;
  /** SIGSTOP the agent this long, starting a second into the traffic (0: no stall). */
  readonly stallSeconds: number;
}

/** AgentCounters are the agent's flow-log counters and the datapath's, at one moment. */
interface AgentCounters {
  readonly read: number;
  readonly lost: number;
  readonly written: number;
  readonly malformed: number;
  /** sl_counters SL_R_EVENT_LOST, read from the pin (what the datapath counted itself). */
  readonly dpLost: number;
  /** sl_counters SL_R_CT_NEW: conntrack entries created (allowed new flows). */
  readonly dpCtNew: number;
  /** sl_counters SL_R_DROP_POLICY: packets a policy dropped. */
  readonly dpDropPolicy: number;
}

/** PhaseResult is what one phase measured; counter fields are deltas over the phase. */
export interface PhaseResult {
  readonly wallSeconds: number;
  readonly allowedOk: number;
  readonly allowedFailed: number;
  readonly deniedAttempts: number;
  /** Denied-client connections that got through: the policy was not in force (should be 0). */
  readonly deniedOk: number;
  readonly firstError: string | null;
  readonly connPerSecond: number;
  readonly p50Us: number;
  /** Agent CPU over traffic + settle, in % of one core. */
  readonly agentCpuPct: number;
  readonly agentCpuSeconds: number;
  readonly counters: AgentCounters;
  /** 1-minute load average at the end of the phase. */
  readonly load: number;
}

/** metricSum adds every series of `name` in a Prometheus text exposition (0 when absent). */
export function metricSum(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(" ") || rest.startsWith("{"))) continue;
    if (labels !== "" && !rest.includes(labels)) continue;
    const v = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

function datapathCounters(lab: Lab, node: string): Map<string, bigint> {
  const pin = mapPinPath(`${lab.node(node).bpffsDir}/sluice`, SL_MAP.counters);
  const m = BpfMap.openPinned(pin, SL_MAP.counters);
  try {
    return readCounterTotals({ byName: new Map([[SL_MAP.counters, m]]) } as unknown as DatapathMaps);
  } finally {
    m.close();
  }
}

async function readCounters(lab: Lab, node: string): Promise<AgentCounters> {
  // An agent just woken from a stall (or starved by the machine's load) may take a while to answer.
  const deadline = Date.now() + 90_000;
  let r = { code: -1, stdout: "", stderr: "" } as Awaited<ReturnType<Lab["exec"]>>;
  while (Date.now() < deadline) {
    r = await lab.exec(node, ["curl", "-s", "--max-time", "20", METRICS_URL], { timeoutMs: 25_000 });
    if (r.code === 0 && r.stdout.includes("sluice_")) break;
    await sleep(1000);
  }
  if (r.code !== 0 || !r.stdout.includes("sluice_"))
    throw new Error(`read ${node}'s agent metrics: curl exit ${r.code} for 90 s: ${r.stderr.trim()}`);
  const dp = datapathCounters(lab, node);
  return {
    read: metricSum(r.stdout, "sluice_flowlog_events_read_total"),
    lost: metricSum(r.stdout, "sluice_flowlog_events_lost_total"),
    written: metricSum(r.stdout, "sluice_flowlog_records_written_total"),
    malformed: metricSum(r.stdout, "sluice_flowlog_events_malformed_total"),
    dpLost: Number(dp.get("EVENT_LOST") ?? 0n),
    dpCtNew: Number(dp.get("CT_NEW") ?? 0n),
    dpDropPolicy: Number(dp.get("DROP_POLICY") ?? 0n),
  };
}

function minus(a: AgentCounters, b: AgentCounters): AgentCounters {
  return {
    read: a.read - b.read,
    lost: a.lost - b.lost,
    written: a.written - b.written,
    malformed: a.malformed - b.malformed,
    dpLost: a.dpLost - b.dpLost,
    dpCtNew: a.dpCtNew - b.dpCtNew,
    dpDropPolicy: a.dpDropPolicy - b.dpDropPolicy,
  };
}

/** stallAgent stops the agent for `seconds` after `delayMs`; SIGCONT always follows. */
async function stallAgent(agent: NetnsProcess, delayMs: number, seconds: number): Promise<void> {
  await sleep(delayMs);
  if (!agent.running) throw new Error(`stall the agent (pid ${agent.pid}): it has exited`);
  process.kill(agent.pid, "SIGSTOP");
  try {
    await sleep(seconds * 1000);
  } finally {
    if (agent.running) process.kill(agent.pid, "SIGCONT");
  }
}

/** runPhase drives one phase of traffic and measures it. */
export async function runPhase(
  lab: Lab,
  agent: NetnsProcess,
  t: PhaseTraffic,
  o: PhaseOptions,
): Promise<PhaseResult> {
  const deadlineMs = o.seconds * 1000;
  // A bound on count as well as time: no client can run away if the path got faster than thought.
  const count = Math.min(10_000_000, o.seconds * 50_000);
  const before = await readCounters(lab, t.node);
  const cpu0 = cpuSeconds(agent.pid);
  const t0 = performance.now();
  const allowed = t.clients.map((c, i) => {
    const to = t.servers[i % t.servers.length]!;
    return runTcpCrr(lab, c, { ...to, count, deadlineMs, timeoutMs: 2000 });
  });
  const denied = runTcpCrr(lab, t.stranger, {
    ...t.servers[0]!,
    count,
    deadlineMs,
    timeoutMs: t.deniedTimeoutMs,
  });
  const stall = o.stallSeconds > 0 ? stallAgent(agent, 1000, o.stallSeconds) : Promise.resolve();
  const reports: CrrReport[] = await Promise.all(allowed);
  const refused = await denied;
  await stall;
  const wallSeconds = (performance.now() - t0) / 1000;
  // The agent reads the ring as events come and flushes every flowLogsFlushInterval: give it
  // that long (and more) to read and write what the phase produced before counting.
  await sleep(o.settleMs);
  const cpuSecondsUsed = cpuSeconds(agent.pid) - cpu0;
  const cpuWindow = (performance.now() - t0) / 1000;
  const after = await readCounters(lab, t.node);
  const ok = reports.reduce((n, r) => n + r.ok, 0);
  const p50s = reports.map((r) => r.p50_us).filter((v) => v > 0);
  return {
    wallSeconds,
    allowedOk: ok,
    allowedFailed: reports.reduce((n, r) => n + r.failed, 0),
    deniedAttempts: refused.ok + refused.failed,
    deniedOk: refused.ok,
    firstError: reports.find((r) => r.first_error !== null)?.first_error ?? null,
    connPerSecond: ok / o.seconds,
    p50Us: p50s.length > 0 ? p50s.reduce((a, b) => a + b, 0) / p50s.length : Number.NaN,
    agentCpuPct: (cpuSecondsUsed / cpuWindow) * 100,
    agentCpuSeconds: cpuSecondsUsed,
    counters: minus(after, before),
    load: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]),
  };
}
