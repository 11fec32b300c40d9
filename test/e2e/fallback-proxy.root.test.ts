/**
 * The standard dataplane still serves Services: with Installation `linuxDataplane: Iptables` the
 * agents fall back, and the nftables proxy (table ip sluice-proxy) carries ClusterIP from a pod,
 * NodePort from the external client to a remote backend (masqueraded, as kube-proxy does for
 * externalTrafficPolicy Cluster), externalTrafficPolicy Local (local backend, source kept) and a
 * Service without endpoints (refused). Back in eBPF mode the table goes. Lab "sl-t-fb-<pid>"
 * (2 nodes), torn down in `after`. Needs root and `nft`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLab, type Lab } from "../../lab/lab.ts";
import { demoServiceInfo } from "../../lab/demo/demo-services.ts";
import { applyManifests, startDemo } from "../../lab/demo/start-demo.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

// The pid keeps concurrent runs from removing each other's lab.
const LAB = `sl-t-fb-${process.pid}`;

let lab: Lab;

const installation = (linuxDataplane: string): Record<string, unknown> => ({
  apiVersion: "operator.tigera.io/v1",
  kind: "Installation",
  metadata: { name: "default" },
  spec: { calicoNetwork: { linuxDataplane } },
});

async function probe(from: string, host: string, port: number, count: number): Promise<ClientReport> {
  return runTrafficClient(lab, from, {
    host,
    port,
    proto: "tcp",
    count,
    timeoutMs: 1500,
    intervalMs: 0,
    deadlineMs: 20_000,
  });
}

function explain(r: ClientReport): string {
  return `${r.ok}/${r.attempts} ok to ${r.target}; errors ${JSON.stringify(r.errors.slice(0, 3))}; seen as ${r.seenAs.join(",")}`;
}

async function readiness(node: string): Promise<{ ok: boolean; mode: string; dataplane: string }> {
  const r = await lab.exec(node, ["curl", "-s", "--max-time", "2", "http://127.0.0.1:9099/readiness"], {
    timeoutMs: 5000,
  });
  return JSON.parse(r.stdout) as { ok: boolean; mode: string; dataplane: string };
}

describe("nftables fallback proxy in the lab", { ...requireRoot, timeout: 90_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({
      name: LAB,
      nodes: 2,
      podsPerNode: 1,
      pods: [{ node: "node-1", name: "client-1", labels: { role: "client" } }],
    });
    // The standard dataplane from the start: the agents must never need eBPF to serve Services.
    await applyManifests(lab.plan.datastoreDir, [installation("Iptables")]);
    await startDemo(lab, {
      backends: lab.pods.filter((p) => p.name.includes("-pod-")),
      serverLifetimeMs: 120_000,
    });
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("the agents report the nftables fallback and program table ip sluice-proxy", async () => {
    for (const n of lab.nodes) {
      const r = await readiness(n.name);
      assert.deepEqual(
        [r.mode, r.dataplane, r.ok],
        ["standard", "nftables-fallback", true],
        `${n.name}: ${JSON.stringify(r)}`,
      );
      const listed = (await lab.exec(n.name, ["nft", "list", "table", "ip", "sluice-proxy"])).stdout;
      assert.match(listed, /numgen random mod 2 vmap/, `${n.name} has the web Service's chain`);
    }
  });

  test("ClusterIP from a pod reaches backends on both nodes and keeps the pod's source", async () => {
    const r = await probe("client-1", demoServiceInfo(lab.plan).web, 80, 16);
    assert.equal(r.failed, 0, explain(r));
    assert.deepEqual(
      [...new Set(r.replies.map((x) => lab.pod(x.server).node))].sort(),
      ["node-1", "node-2"],
      explain(r),
    );
    assert.deepEqual(r.seenAs, [lab.pod("client-1").ip]);
  });

  test("NodePort via node-1 to the backend on node-2 is masqueraded to node-1 (kube-proxy, externalTrafficPolicy Cluster)", async () => {
    const r = await probe("client", lab.node("node-1").ip, demoServiceInfo(lab.plan).nodePort, 4);
    assert.equal(r.failed, 0, explain(r));
    assert.deepEqual([...new Set(r.replies.map((x) => x.server))], ["node-2-pod-1"]);
    assert.deepEqual(r.seenAs, [lab.node("node-1").ip], `the backend saw ${r.seenAs.join(",")}`);
  });

  test("externalTrafficPolicy Local NodePort uses node-1's own backend and keeps the client's source", async () => {
    const r = await probe("client", lab.node("node-1").ip, demoServiceInfo(lab.plan).localNodePort, 4);
    assert.equal(r.failed, 0, explain(r));
    assert.deepEqual([...new Set(r.replies.map((x) => x.server))], ["node-1-pod-1"]);
    assert.deepEqual(r.seenAs, [lab.client.ip]);
  });

  test("a Service without endpoints is refused at once", async () => {
    const started = Date.now();
    const r = await probe("client-1", demoServiceInfo(lab.plan).empty, 80, 1);
    assert.equal(r.ok, 0);
    assert.match(JSON.stringify(r.errors), /ECONNREFUSED/, explain(r));
    assert.ok(Date.now() - started < 5000, "refused, not timed out");
  });

  test("back in eBPF mode the agents delete table ip sluice-proxy and report bpf", async () => {
    await applyManifests(lab.plan.datastoreDir, [installation("BPF")]);
    for (const n of lab.nodes) {
      await until(
        `${n.name} on the eBPF dataplane without our table`,
        async () => {
          const tables = (await lab.exec(n.name, ["nft", "list", "tables"])).stdout;
          return !tables.includes("sluice-proxy") && (await readiness(n.name)).dataplane === "bpf";
        },
        15_000,
      );
    }
    const r = await probe("client-1", demoServiceInfo(lab.plan).web, 80, 4);
    assert.equal(r.failed, 0, `eBPF mode serves the ClusterIP: ${explain(r)}`);
  });
});
