/**
 * startAgents runs `sluice agent` on every node of a lab (lab.startOnNode: the node's namespace,
 * its own bpffs pin root, the shared datastore) and waits until each reports ready on
 * /readiness. The lab names pod veths `sl…`, so the workload prefix is set to "sl".
 */
import type { Lab } from "./lab.ts";
import type { NetnsProcess } from "./netns-process.ts";
import { readinessPollerArgv, readyAtOf } from "./readiness-poller.ts";

/** SLUICE_BIN is the sluice command this checkout runs. */
export const SLUICE_BIN = new URL("../bin/sluice.js", import.meta.url).pathname;

/** StartAgentsOptions: extra agent flags, detach (for `sluice lab up`), and the readiness wait. */
export interface StartAgentsOptions {
  readonly args?: readonly string[];
  readonly detached?: boolean;
  /** How long to wait for every agent's /readiness. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Run the agent under `nice -n` this value (tests that measure traffic while an agent starts). */
  readonly niceness?: number;
}

/** agentArgv is the command line of one node's agent. */
export function agentArgv(args: readonly string[] = []): string[] {
  return [process.execPath, SLUICE_BIN, "agent", ...args];
}

/** startAgent starts the agent on one node (no wait). */
export async function startAgent(
  lab: Lab,
  node: string,
  options: StartAgentsOptions = {},
): Promise<NetnsProcess> {
  // nice execs the agent, so the pid is the agent's own.
  const argv = agentArgv(options.args);
  return lab.startOnNode(
    node,
    options.niceness === undefined ? argv : ["nice", "-n", String(options.niceness), ...argv],
    { SLUICE_INTERFACE_PREFIX: "sl" },
    options.detached === true ? { detached: true } : {},
  );
}

/**
 * waitAgentReady waits until the node's /readiness answers 200 (one poller process in the node's
 * namespace, asking every 10 ms: lab/readiness-poller.ts) and returns when that answer arrived
 * (epoch ms, Date.now()'s clock); throws with the last answer on timeout.
 */
export async function waitAgentReady(
  lab: Lab,
  node: string,
  timeoutMs = 30_000,
  port = 9099,
): Promise<number> {
  const r = await lab.exec(node, readinessPollerArgv(port, timeoutMs), { timeoutMs: timeoutMs + 10_000 });
  if (r.code === 0) return readyAtOf(r.stdout) ?? Date.now();
  throw new Error(
    `wait for the agent on ${node}: not ready after ${timeoutMs} ms (last /readiness: ${r.stdout.trim().replace(/\n/g, " ") || "no answer"})`,
  );
}

/** startAgents starts one agent per node and waits until all are ready. */
export async function startAgents(
  lab: Lab,
  options: StartAgentsOptions = {},
): Promise<Map<string, NetnsProcess>> {
  const procs = new Map<string, NetnsProcess>();
  for (const n of lab.nodes) procs.set(n.name, await startAgent(lab, n.name, options));
  await Promise.all(lab.nodes.map((n) => waitAgentReady(lab, n.name, options.readyTimeoutMs)));
  return procs;
}
