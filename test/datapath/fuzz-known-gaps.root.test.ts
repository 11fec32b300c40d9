/**
 * Focused cases where the fuzz model (the documented behaviour, issue 8) and today's datapath
 * part, kept as tests that assert the current behaviour and say so, so the integrator decides —
 * never skipped. Each installs its Service through the same calc → proxy path as the fuzz suite
 * and asks the same model.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { packet } from "../packet/build-packet.ts";
import { verdictName } from "../support/prog-test-run.ts";
import { requireRoot } from "../support/root.ts";
import { service, slice } from "../support/service-fixtures.ts";
import { loadNode, makeNetns } from "./dp-harness.ts";
import { installServices } from "./fuzz-install.ts";
import { ETP_SHORT_CIRCUIT_LANDED, FuzzModel } from "./fuzz-model.ts";
import type { ServiceTable } from "./fuzz-services.ts";
import { FW, fillRoutes } from "./fuzz-world.ts";

const ETP_NAME = ETP_SHORT_CIRCUIT_LANDED
  ? "issue 8 ETP short-circuit: a pod reaching an ETP-Local NodePort whose endpoints are all on other nodes is DNATed to one of them"
  : "KNOWN BUG (issue 8, ETP Local short-circuit not merged on this branch): a pod reaching an ETP-Local NodePort whose endpoints are all on other nodes is dropped (no local backend) instead of balanced over them as kube-proxy does";

test(ETP_NAME, requireRoot, async () => {
  const remote = FW.remotePods[0]!.ip;
  const table: ServiceTable = {
    services: [
      service("etp", {
        type: "NodePort",
        clusterIP: "198.19.255.200",
        externalTrafficPolicy: "Local",
        ports: [{ name: "p0", port: 80, targetPort: 8080, protocol: "TCP", nodePort: 30999 }],
      }),
    ],
    slices: [
      slice("etp", [{ addr: remote, node: "node-2", ready: true, serving: true, terminating: false }], {
        ports: [{ name: "p0", port: 8080, protocol: "TCP" }],
      }),
    ],
    frontends: [
      {
        addr: FW.node1,
        port: 30999,
        proto: 6,
        role: "nodeport",
        svc: "etp:p0",
        ready: [{ addr: remote, port: 8080, local: false }],
        policyLocal: true,
        affinity: false,
      },
    ],
  };
  const node = await loadNode(FW.node1);
  const ns = makeNetns();
  try {
    fillRoutes(node);
    installServices(node, table);
    const pod = FW.localPods[0]!;
    const wep = await node.iface({ ifindex: pod.ifindex, role: "wep" });
    const input = packet({
      ipv4: { src: pod.ip, dst: FW.node1 },
      tcp: { sport: 40000, dport: 30999, flags: ["SYN"] },
    });
    const model = new FuzzModel(table);
    const o = model.expect({ prog: "from_wep", pod }, input);
    assert.equal(o.kind, "dnat", "the model (issue 8) says: DNAT");
    assert.deepEqual(o.kind === "dnat" ? o.candidates.map((c) => c.addr) : [], [remote]);
    const before = node.counters.get(pod.ifindex, SlReason.SL_R_DROP_NO_LOCAL_BACKEND).packets;
    const r = withNetns(ns.name, () =>
      wep.from_wep.testRun({ data: input, dataSizeOut: input.length + 256 }),
    );
    const verdict = verdictName("tc", r.retval);
    if (ETP_SHORT_CIRCUIT_LANDED) {
      assert.notEqual(verdict, "SHOT");
      assert.equal(`${r.data[30]}.${r.data[31]}.${r.data[32]}.${r.data[33]}`, remote);
    } else {
      // today's (wrong) behaviour: dropped under "no local backend"
      assert.equal(verdict, "SHOT");
      assert.equal(node.counters.get(pod.ifindex, SlReason.SL_R_DROP_NO_LOCAL_BACKEND).packets - before, 1n);
    }
  } finally {
    node.close();
    ns.remove();
  }
});
