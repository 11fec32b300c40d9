/**
 * Network policy end to end with `sluice agent` in the lab and real TCP: a Kubernetes
 * NetworkPolicy lets pods labelled role=client reach the web pod and nothing else; a client on
 * the web pod's node and one on the other node connect, a pod without the label is refused
 * (it connected before the policy, so the test can fail), and `sluice dump policy` shows the
 * installed rule with its hits. Lab "sl-t-pol-<pid>", torn down in `after`. Needs root.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createLab, type Lab } from "../../lab/lab.ts";
import { applyManifests } from "../../lab/demo/start-demo.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import { SLUICE_BIN, startAgents } from "../../lab/start-agents.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { startTrafficServer, type TrafficServer } from "../../lab/traffic/start-traffic-server.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const run = promisify(execFile);
const LAB = `sl-t-pol-${process.pid}`;
const PORT = 8080;

let lab: Lab;
let server: TrafficServer | undefined;
let agents = new Map<string, NetnsProcess>();

async function probe(from: string, count: number, timeoutMs = 1500): Promise<ClientReport> {
  return runTrafficClient(lab, from, {
    host: lab.pod("web").ip,
    port: PORT,
    proto: "tcp",
    count,
    timeoutMs,
    intervalMs: 0,
    deadlineMs: 30_000,
  });
}

function policedEndpoints(node: string): number {
  const name = SL_MAP.pol_endpoints;
  const m = BpfMap.openPinned(mapPinPath(`${lab.node(node).bpffsDir}/sluice`, name), name);
  try {
    return [...m.keys()].length;
  } finally {
    m.close();
  }
}

describe("network policy in the lab", { ...requireRoot, timeout: 180_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 2,
      podsPerNode: 0,
      pods: [
        { node: "node-1", name: "web", labels: { app: "web" } },
        { node: "node-1", name: "near-client", labels: { role: "client" } },
        { node: "node-2", name: "far-client", labels: { role: "client" } },
        { node: "node-2", name: "stranger", labels: { role: "other" } },
      ],
    });
    server = await startTrafficServer(lab, "web", { port: PORT, lifetimeMs: 170_000 });
    agents = await startAgents(lab);
  });

  after(async () => {
    await server?.stop();
    for (const p of agents.values()) p.child.kill("SIGTERM");
    if (lab) await lab.down();
  });

  test("a NetworkPolicy admits the clients it names and refuses another pod", async () => {
    const open = await probe("stranger", 3);
    assert.equal(open.failed, 0, `no policy yet: every pod connects (${JSON.stringify(open.errors)})`);
    assert.equal(policedEndpoints("node-1"), 0, "no policy: no pod is policed");

    await applyManifests(lab.plan.datastoreDir, [
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "web-from-clients", namespace: lab.pod("web").namespace },
        spec: {
          podSelector: { matchLabels: { app: "web" } },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: PORT }] },
          ],
        },
      },
    ]);
    await until("node-1 polices the web pod", () => policedEndpoints("node-1") === 1, 20_000);

    for (const c of ["near-client", "far-client"]) {
      const r = await probe(c, 4);
      assert.equal(r.failed, 0, `${c} is a client: ${JSON.stringify(r.errors.slice(0, 3))}`);
    }
    const refused = await probe("stranger", 3, 800);
    assert.equal(refused.ok, 0, "the stranger is refused by the policy");
    assert.equal(policedEndpoints("node-2"), 0, "node-2 has no selected pod");

    const dump = await run(
      process.execPath,
      [SLUICE_BIN, "dump", "policy", "web", "ingress", "--bpffs-root", lab.node("node-1").bpffsDir, "--json"],
      { timeout: 30_000 },
    );
    const rows = (JSON.parse(dump.stdout) as { policy: string; action: string; hits: string }[]) ?? [];
    const allow = rows.find((r) => r.action === "allow" && r.policy.includes("web-from-clients"));
    assert.ok(allow, dump.stdout);
    assert.ok(BigInt(allow.hits) >= 8n, `the allow rule counted the clients' connections: ${allow.hits}`);
    const eot = rows.find((r) => r.policy === "(end of tier)");
    assert.ok(
      eot !== undefined && BigInt(eot.hits) >= 1n,
      `the stranger hit the end of tier: ${dump.stdout}`,
    );
  });
});
