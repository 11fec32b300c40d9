import assert from "node:assert/strict";
import { test } from "node:test";
import { natDeltas } from "./nat-deltas.ts";
import type { NatBackendKey, NatBackendValue, NatFrontendKey, NatFrontendValue } from "../calc/index.ts";
import type { NatOp } from "./plan-nat-update.ts";

const fe: NatFrontendKey = { addr: "10.96.0.1", port: 80, proto: 6 };
const feValue = { svcId: 1, count: 1, localCount: 0, flags: 0, affinityTimeoutS: 0 } as NatFrontendValue;
const be = (index: number): NatBackendKey => ({ svcId: 1, index });
const beValue: NatBackendValue = { addr: "10.0.0.1", port: 8080 };
const src = { svcId: 1, cidr: "10.0.0.0/8" };

test("natDeltas() keeps the planner's exact order across maps, one run per consecutive map", () => {
  const ops: NatOp[] = [
    { op: "delete-frontend", key: fe },
    { op: "delete-backend", key: be(3) },
    { op: "put-backend", key: be(0), value: beValue, change: "add" },
    { op: "put-backend", key: be(1), value: beValue, change: "update" },
    { op: "put-source-range", key: src, servicePort: "ns/lb:http" },
    { op: "put-frontend", key: fe, value: feValue, change: "add", servicePort: "ns/lb:http" },
    { op: "delete-source-range", key: src },
    { op: "delete-backend", key: be(2) },
  ];
  const runs = natDeltas(ops);
  assert.deepEqual(
    runs.map((r) => r.map),
    ["fe", "be", "src", "fe", "src", "be"],
  );
  // Flattened back, the runs are the ops, in order.
  const flat = runs.flatMap((r) =>
    r.ops.map((o) => `${r.map} ${o.kind}${o.kind === "put" ? ` ${o.change}` : ""}`),
  );
  assert.deepEqual(flat, [
    "fe delete",
    "be delete",
    "be put add",
    "be put update",
    "src put add",
    "fe put add",
    "src delete",
    "be delete",
  ]);
  assert.deepEqual(runs[2], {
    map: "src",
    ops: [{ kind: "put", key: src, value: true, change: "add", servicePort: "ns/lb:http" }],
  });
  assert.deepEqual(runs[3], {
    map: "fe",
    ops: [{ kind: "put", key: fe, value: feValue, change: "add", servicePort: "ns/lb:http" }],
  });
});

test("natDeltas() of no ops is no runs", () => {
  assert.deepEqual(natDeltas([]), []);
});
