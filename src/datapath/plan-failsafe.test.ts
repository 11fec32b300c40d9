import assert from "node:assert/strict";
import { test } from "node:test";
import { effectiveFelixConfiguration } from "../model/felix-configuration-values.ts";
import { InMemoryRawMap } from "./in-memory-datapath-backend.ts";
import { FailsafeMap } from "./maps/failsafe-map.ts";
import { applyDelta } from "./maps/map-delta.ts";
import { planFailsafe, planFailsafeDelta } from "./plan-failsafe.ts";

test("planFailsafe() of Calico's defaults: 9 inbound and 9 outbound ports from any peer", () => {
  const v = effectiveFelixConfiguration();
  const plan = planFailsafe(v.failsafeInboundHostPorts, v.failsafeOutboundHostPorts);
  assert.deepEqual(
    [...plan.entries.keys()],
    [
      ...[
        "tcp 22",
        "udp 68",
        "tcp 179",
        "tcp 2379",
        "tcp 2380",
        "tcp 5473",
        "tcp 6443",
        "tcp 6666",
        "tcp 6667",
      ].map((p) => `in ${p} 0.0.0.0/0`),
      ...[
        "udp 53",
        "udp 67",
        "tcp 179",
        "tcp 2379",
        "tcp 2380",
        "tcp 5473",
        "tcp 6443",
        "tcp 6666",
        "tcp 6667",
      ].map((p) => `out ${p} 0.0.0.0/0`),
    ],
  );
  assert.deepEqual(plan.skipped, []);
});

test("planFailsafe() normalises nets, skips IPv6 ones by field, and an empty list is none", () => {
  const plan = planFailsafe(
    [
      { protocol: "TCP", port: 22, net: "198.18.5.7/24" },
      { protocol: "SCTP", port: 9, net: "" },
      { protocol: "TCP", port: 22, net: "fd00::/64" },
    ],
    [],
  );
  assert.deepEqual([...plan.entries.keys()], ["in tcp 22 198.18.5.0/24", "in sctp 9 0.0.0.0/0"]);
  assert.deepEqual(plan.skipped, [
    { field: "failsafeInboundHostPorts[2].net", reason: "IPv6 net fd00::/64: the datapath is IPv4-only" },
  ]);
  assert.equal(planFailsafe([], []).entries.size, 0);
});

test("planFailsafeDelta() + applyDelta() write sl_failsafe, then only the change on a new FelixConfiguration", () => {
  const raw = new InMemoryRawMap(1024);
  const map = new FailsafeMap(raw);
  const first = planFailsafe(
    [
      { protocol: "TCP", port: 22 },
      { protocol: "UDP", port: 68 },
    ],
    [{ protocol: "UDP", port: 53 }],
  );
  assert.deepEqual(applyDelta(map, planFailsafeDelta(map.entries(), first)), {
    added: 3,
    updated: 0,
    deleted: 0,
  });
  const keys = [...raw.entries()].map(([k, v]) => [[...k], [...v]]);
  assert.deepEqual(keys[0], [
    [32, 0, 0, 0, 1, 6, 22, 0, 0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  // Unchanged configuration: nothing to write (a restarted agent adopts the pinned map).
  assert.deepEqual(planFailsafeDelta(map.entries(), first), []);
  // SSH only from the lab's management net; DHCP client port dropped.
  const second = planFailsafe(
    [{ protocol: "TCP", port: 22, net: "198.18.0.0/15" }],
    [{ protocol: "UDP", port: 53 }],
  );
  const delta = planFailsafeDelta(map.entries(), second);
  assert.deepEqual(
    delta.map((op) => `${op.kind} ${op.key}`),
    ["put in tcp 22 198.18.0.0/15", "delete in tcp 22 0.0.0.0/0", "delete in udp 68 0.0.0.0/0"],
  );
  assert.deepEqual(applyDelta(map, delta), { added: 1, updated: 0, deleted: 2 });
  assert.deepEqual(
    [...map.entries()].map(([k]) => k),
    ["out udp 53 0.0.0.0/0", "in tcp 22 198.18.0.0/15"],
  );
});

test("planFailsafe() refuses more ports than sl_failsafe holds, naming the fields", () => {
  const many = Array.from({ length: 1025 }, (_, i) => ({ protocol: "TCP" as const, port: i + 1 }));
  assert.throws(
    () => planFailsafe(many, []),
    /failsafeInboundHostPorts.*1025 entries, sl_failsafe holds 1024/,
  );
});
