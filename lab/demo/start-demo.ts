/**
 * startDemo turns a built lab into the demo cluster: a traffic server in every pod (TCP 8080,
 * UDP 5353, reporting the source address it saw), the demo Services and EndpointSlices in the
 * datastore, and (optionally) an agent on every node, waiting until all are ready.
 */
import { FileDatastore } from "../../src/datastore/file-datastore.ts";
import type { Lab } from "../lab.ts";
import type { NetnsProcess } from "../netns-process.ts";
import type { PlannedPod } from "../plan.ts";
import { startAgents } from "../start-agents.ts";
import { nodeScriptArgv } from "../traffic/node-script.ts";
import { DEMO_PORTS, demoServices } from "./demo-services.ts";

/** StartDemoOptions: agents on or off, and whether processes outlive this one (`sluice lab up`, `npm start`). */
export interface StartDemoOptions {
  readonly agents?: boolean;
  readonly detached?: boolean;
  /** The pods that run servers and back the demo Services; default every pod. */
  readonly backends?: readonly PlannedPod[];
  /** Write the demo Services (default true). */
  readonly services?: boolean;
  /** Server lifetime; default 1 h (the demo stays up until `sluice lab down`). */
  readonly serverLifetimeMs?: number;
}

/** podServerArgv is the traffic server every demo pod runs. */
export function podServerArgv(name: string, lifetimeMs: number): string[] {
  return nodeScriptArgv("server.ts", [
    "--listen",
    `tcp:${DEMO_PORTS.tcp},udp:${DEMO_PORTS.udp}`,
    "--name",
    name,
    "--max-requests",
    "1000000",
    "--lifetime-ms",
    String(lifetimeMs),
  ]);
}

/** applyManifests writes manifests through the datastore (validated, like `sluice apply`). */
export async function applyManifests(dir: string, manifests: readonly unknown[]): Promise<void> {
  const ds = new FileDatastore(dir);
  try {
    for (const m of manifests) await ds.apply(m);
  } finally {
    await ds.close();
  }
}

/** startDemo starts servers, writes the demo Services and starts agents; returns the agent processes. */
export async function startDemo(
  lab: Lab,
  options: StartDemoOptions = {},
): Promise<Map<string, NetnsProcess>> {
  const lifetime = options.serverLifetimeMs ?? 3_600_000;
  const backends = options.backends ?? lab.pods;
  for (const pod of backends) {
    await lab.spawn(pod.name, podServerArgv(pod.name, lifetime), {
      logFile: `${lab.plan.logDir}/${pod.name}-server.log`,
      ...(options.detached ? { detached: true } : {}),
    });
  }
  if (options.services !== false)
    await applyManifests(lab.plan.datastoreDir, demoServices(lab.plan, backends));
  if (options.agents === false) return new Map();
  return startAgents(lab, options.detached ? { detached: true } : {});
}
