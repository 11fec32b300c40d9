/**
 * Bulk data through NodePorts (issue 8): iperf3 from the external lab client to a single backend
 * on node-2, through node-1's NodePort (remote backend: Tunnel, then DSR switched live) and
 * node-2's (local backend), upload and download (`-R`), ~2 s each. TCP senders on veths build
 * TSO/GRO super-packets far longer than the MTU; a datapath that compares their length with the
 * tunnel MTU answers every one with frag-needed and the transfer stalls at 0. Each path must move
 * at least a fifth of the direct client → pod rate measured in the same run (a floor that proves
 * bytes moved at a real rate; the ≥ 0.8× target is the `nodeport-bulk` benchmark's). Lab
 * "sl-t-bulk-<pid>", torn down in `after`. Needs root and Debian's iperf3.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { hasIperf3, measureIperf3 } from "../../bench/iperf3.ts";
import { endpointSliceManifest, serviceManifest } from "../../lab/demo/demo-services.ts";
import { applyManifests } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import { SLUICE_BIN, startAgents } from "../../lab/start-agents.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { GlobalsMap } from "../../src/datapath/maps/index.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const run = promisify(execFile);
const LAB = `sl-t-bulk-${process.pid}`;
const PORT = 5201;
const NODE_PORT = 30521;
const SECONDS = 2;
const BACKEND = "node-2-pod-1";
/** The floor, as a share of the direct rate: far above a stall, far below a busy machine's noise. */
const FLOOR = 0.2;

let lab: Lab;
const direct = { up: 0, down: 0 };

async function rate(host: string, port: number, reverse: boolean): Promise<number> {
  return measureIperf3(lab, {
    server: BACKEND,
    client: "client",
    host,
    port,
    serverPort: PORT,
    seconds: SECONDS,
    reverse,
  });
}

function mode(node: string): string {
  const m = BpfMap.openPinned(mapPinPath(`${lab.node(node).bpffsDir}/sluice`, "sl_globals"), "sl_globals");
  try {
    return new GlobalsMap(m).get().externalServiceMode;
  } finally {
    m.close();
  }
}

async function checkPaths(label: string): Promise<void> {
  const slow: string[] = [];
  for (const [where, node] of [
    ["remote backend via node-1", "node-1"],
    ["local backend via node-2", "node-2"],
  ] as const) {
    for (const reverse of [false, true]) {
      const bps = await rate(lab.node(node).ip, NODE_PORT, reverse);
      const base = reverse ? direct.down : direct.up;
      if (!(bps > FLOOR * base))
        slow.push(
          `${where}, ${reverse ? "download" : "upload"}: ${(bps / 1e9).toFixed(2)} Gbit/s (direct ${(base / 1e9).toFixed(2)})`,
        );
    }
  }
  assert.deepEqual(slow, [], `${label}: paths below ${FLOOR}× the direct rate`);
}

describe(
  "bulk transfers through NodePorts",
  {
    ...requireRoot,
    timeout: 240_000,
    skip: isRoot && !hasIperf3() ? "needs /usr/bin/iperf3 (Debian iperf3)" : false,
  },
  () => {
    before(async () => {
      if (!isRoot || !hasIperf3()) return;
      lab = await createLab({ name: LAB, nodes: 2, podsPerNode: 1 });
      const ports = [
        { name: "iperf", port: PORT, targetPort: PORT, protocol: "TCP", nodePort: NODE_PORT },
      ] as const;
      await applyManifests(lab.plan.datastoreDir, [
        serviceManifest("bulk", "198.18.128.40", ports, { type: "NodePort" }),
        endpointSliceManifest("bulk", [lab.pod(BACKEND)], ports),
      ]);
      await startAgents(lab, { readyTimeoutMs: 90_000 }); // the machine is shared: be patient, not flaky
      direct.up = await rate(lab.pod(BACKEND).ip, PORT, false);
      direct.down = await rate(lab.pod(BACKEND).ip, PORT, true);
    });

    after(async () => {
      if (lab) await lab.down();
    });

    test("Tunnel mode: upload and download, remote and local backend, at a real rate", async () => {
      assert.ok(direct.up > 0 && direct.down > 0, "the direct path moved data");
      await checkPaths("Tunnel");
    });

    test("DSR mode: upload and download, remote and local backend, at a real rate", async () => {
      await run(
        process.execPath,
        [
          SLUICE_BIN,
          "patch",
          "felixconfiguration",
          "default",
          "--patch",
          '{"spec":{"bpfExternalServiceMode":"DSR"}}',
          "--datastore",
          lab.plan.datastoreDir,
        ],
        { timeout: 30_000 },
      );
      for (const n of lab.nodes) await until(`DSR in sl_globals of ${n.name}`, () => mode(n.name) === "DSR");
      await checkPaths("DSR");
    });
  },
);
