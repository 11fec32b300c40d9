/**
 * startAgents runs `sluice agent` on every node of a lab (lab.startOnNode: the node's namespace,
 * its own bpffs pin root, the shared datastore) and waits until each reports ready on
 * /readiness. The lab names pod veths `sl…`, so the workload prefix is set to "sl".
 */
import type { Lab } from "./lab.ts";
import type { NetnsProcess } from "./netns-process.ts";

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

/** waitAgentReady polls the node's /readiness until it answers 200; throws with the last answer on timeout. */
export async function waitAgentReady(lab: Lab, node: string, timeoutMs = 30_000, port = 9099): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await lab.exec(
      node,
      [
        "curl",
        "-s",
        "-o",
        "/dev/stdout",
        "-w",
        "\n%{http_code}",
        "--max-time",
        "2",
        `http://127.0.0.1:${port}/readiness`,
      ],
      { timeoutMs: 5000 },
    );
    last = r.stdout.trim();
    if (last.endsWith("\n200") || last === "200") return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(
    `wait for the agent on ${node}: not ready after ${timeoutMs} ms (last /readiness: ${last.replace(/\n/g, " ") || "no answer"})`,
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
