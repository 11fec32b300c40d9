/**
 * setExternalServiceMode switches a lab's NodePorts between Tunnel and DSR the way an operator
 * does — `sluice patch felixconfiguration default` on `bpfExternalServiceMode` — and waits until
 * every node's agent has written the mode into its pinned `sl_globals` (the programs read it
 * there on the next packet). Needs root (reads pinned maps).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Lab } from "../lab/lab.ts";
import { SLUICE_BIN } from "../lab/start-agents.ts";
import { BpfMap } from "../src/bpf/map.ts";
import { mapPinPath } from "../src/datapath/datapath-maps.ts";
import { GlobalsMap } from "../src/datapath/maps/index.ts";

const run = promisify(execFile);

/** ExternalServiceMode is FelixConfiguration's `bpfExternalServiceMode`. */
export type ExternalServiceMode = "Tunnel" | "DSR";

/** externalServiceModeOf reads the mode one node's agent has programmed. */
function externalServiceModeOf(lab: Lab, node: string): string {
  const m = BpfMap.openPinned(mapPinPath(`${lab.node(node).bpffsDir}/sluice`, "sl_globals"), "sl_globals");
  try {
    return new GlobalsMap(m).get().externalServiceMode;
  } finally {
    m.close();
  }
}

/** waitExternalServiceMode polls every node's sl_globals until it holds `mode`; throws after timeoutMs. */
export async function waitExternalServiceMode(
  lab: Lab,
  mode: ExternalServiceMode,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of lab.nodes) {
    while (externalServiceModeOf(lab, n.name) !== mode) {
      if (Date.now() > deadline)
        throw new Error(`wait for external service mode: ${n.name} not in "${mode}" after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** setExternalServiceMode patches the lab's FelixConfiguration and waits for every agent to apply it. */
export async function setExternalServiceMode(lab: Lab, mode: ExternalServiceMode): Promise<void> {
  await run(
    process.execPath,
    [
      SLUICE_BIN,
      "patch",
      "felixconfiguration",
      "default",
      "--patch",
      JSON.stringify({ spec: { bpfExternalServiceMode: mode } }),
      "--datastore",
      lab.plan.datastoreDir,
    ],
    { timeout: 30_000 },
  );
  await waitExternalServiceMode(lab, mode);
}
