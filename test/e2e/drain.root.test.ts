/**
 * Graceful drain in the lab (issue 8): a live TCP connection (iperf3, 8 s) through a ClusterIP to
 * backend A keeps moving data after A turns terminating (`serving: true, terminating: true`)
 * while new connections go to the ready backend B; when A is then removed, the UDP flows NATed
 * to it lose their conntrack entries at once and its TCP flows' entries stay, flagged
 * SL_CT_F_RESET. Lab "sl-t-drain-<pid>", torn down in `after`. Needs root and Debian's iperf3.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { IPERF3, hasIperf3 } from "../../bench/iperf3.ts";
import { DEMO_PORTS, serviceManifest } from "../../lab/demo/demo-services.ts";
import { applyManifests, podServerArgv } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import type { PlannedPod } from "../../lab/plan.ts";
import { startAgents } from "../../lab/start-agents.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { SL_CT_F_RESET } from "../../src/datapath/abi/abi.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { ConntrackMap } from "../../src/datapath/maps/index.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const LAB = `sl-t-drain-${process.pid}`;
const VIP = "198.18.128.50";
const IPERF_PORT = 5201;
const PORTS = [
  { name: "http", port: 80, targetPort: DEMO_PORTS.tcp, protocol: "TCP" },
  { name: "dns", port: 53, targetPort: DEMO_PORTS.udp, protocol: "UDP" },
  { name: "iperf", port: IPERF_PORT, targetPort: IPERF_PORT, protocol: "TCP" },
] as const;

let lab: Lab;
let a: PlannedPod;
let b: PlannedPod;

type Cond = { ready: boolean; serving: boolean; terminating: boolean };
function sliceOf(eps: readonly [PlannedPod, Cond][]): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "drain-x", namespace: "default", labels: { "kubernetes.io/service-name": "drain" } },
    addressType: "IPv4",
    endpoints: eps.map(([p, conditions]) => ({
      addresses: [p.ip],
      conditions,
      nodeName: p.node,
      targetRef: { kind: "Pod", namespace: p.namespace, name: p.name },
    })),
    ports: PORTS.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
  };
}
const READY: Cond = { ready: true, serving: true, terminating: false };
const DRAINING: Cond = { ready: false, serving: true, terminating: true };

function conntrack(
  node: string,
): ReturnType<ConntrackMap["entries"]> extends Generator<infer E> ? E[] : never {
  const m = BpfMap.openPinned(mapPinPath(`${lab.node(node).bpffsDir}/sluice`, "sl_ct"), "sl_ct");
  try {
    return [...new ConntrackMap(m).entries()];
  } finally {
    m.close();
  }
}
const toA = (proto: number) =>
  conntrack("node-1").filter(
    (e) => e.proto === proto && (e.a.addr === a.ip || e.b.addr === a.ip || e.nat.addr === a.ip),
  );

describe(
  "graceful drain",
  {
    ...requireRoot,
    timeout: 240_000,
    skip: isRoot && !hasIperf3() ? "needs /usr/bin/iperf3 (Debian iperf3)" : false,
  },
  () => {
    before(async () => {
      if (!isRoot || !hasIperf3()) return;
      lab = await createLab({
        name: LAB,
        nodes: 2,
        podsPerNode: 1,
        pods: [{ node: "node-1", name: "client-1", labels: { role: "client" } }],
      });
      a = lab.pod("node-2-pod-1");
      b = lab.pod("node-1-pod-1");
      for (const p of [a, b]) await lab.spawn(p.name, podServerArgv(p.name, 300_000));
      await applyManifests(lab.plan.datastoreDir, [
        serviceManifest("drain", VIP, PORTS),
        sliceOf([[a, READY]]),
      ]);
      await startAgents(lab, { readyTimeoutMs: 90_000 });
    });

    after(async () => {
      if (lab) await lab.down();
    });

    test("a live TCP connection to a terminating endpoint keeps working, new ones go to the ready one; removed, its UDP entries go at once", async () => {
      await until(
        "the ClusterIP answers",
        async () =>
          (
            await runTrafficClient(lab, "client-1", {
              host: VIP,
              port: 80,
              count: 1,
              timeoutMs: 1000,
              deadlineMs: 5000,
            })
          ).ok === 1,
        30_000,
      );
      // UDP flows to A while it is the only endpoint (their entries live 60 s)
      const udp = await runTrafficClient(lab, "client-1", {
        host: VIP,
        port: 53,
        proto: "udp",
        count: 4,
        timeoutMs: 1500,
        deadlineMs: 20_000,
      });
      assert.equal(udp.failed, 0);
      assert.ok(toA(17).length > 0, "UDP conntrack entries to A");

      const server = await lab.spawn(a.name, [IPERF3, "-s", "-1", "-p", String(IPERF_PORT)]);
      try {
        await new Promise((r) => setTimeout(r, 500));
        const live = lab.exec(
          "client-1",
          [IPERF3, "-c", VIP, "-p", String(IPERF_PORT), "-t", "8", "-i", "1", "-J"],
          { timeoutMs: 40_000 },
        );
        await new Promise((r) => setTimeout(r, 2500));
        await applyManifests(lab.plan.datastoreDir, [
          sliceOf([
            [a, DRAINING],
            [b, READY],
          ]),
        ]);
        // new connections: only B, once the agent has the change
        await until(
          "new connections go to B",
          async () => {
            const r = await runTrafficClient(lab, "client-1", {
              host: VIP,
              port: 80,
              count: 6,
              timeoutMs: 1000,
              deadlineMs: 10_000,
            });
            return r.ok === 6 && r.replies.every((x) => x.server === b.name);
          },
          20_000,
        );
        const r = await live;
        const report = JSON.parse(r.stdout) as {
          intervals?: { sum: { bytes: number } }[];
          end?: { sum_received?: { bytes?: number } };
        };
        const late = (report.intervals ?? []).slice(5).map((i) => i.sum.bytes);
        assert.ok(
          late.length >= 2 && late.every((n) => n > 0),
          `the draining connection moved data to the end: ${JSON.stringify(late)}`,
        );
        assert.equal(r.code, 0, r.stderr);
      } finally {
        await server.stop();
      }
      assert.ok(toA(6).length > 0, "A's TCP entries are still there while it drains");

      await applyManifests(lab.plan.datastoreDir, [sliceOf([[b, READY]])]);
      await until("A's UDP entries flushed", () => toA(17).length === 0, 15_000);
      const tcp = toA(6);
      assert.ok(
        tcp.length > 0 && tcp.every((e) => (e.flags & SL_CT_F_RESET) !== 0),
        `A's TCP entries kept and flagged SL_CT_F_RESET: ${JSON.stringify(tcp.map((e) => e.flags))}`,
      );
    });
  },
);
