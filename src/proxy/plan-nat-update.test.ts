import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backendKeyId, frontendKeyId, natStateOf } from "../calc/index.ts";
import type { NatBackendEntry, NatFrontendEntry, NatState } from "../calc/index.ts";
import { planNatUpdate } from "./plan-nat-update.ts";
import type { NatOp } from "./plan-nat-update.ts";

const fe = (addr: string, svcId: number, count: number, localCount = 0): NatFrontendEntry => ({
  key: { addr, port: 80, proto: 6 },
  value: { svcId, count, localCount, flags: 0, affinityTimeoutS: 0 },
});
const list = (svcId: number, addrs: string[]): NatBackendEntry[] => addrs.map((addr, index) => ({ key: { svcId, index }, value: { addr, port: 8080 } }));
const state = (fes: NatFrontendEntry[], bes: NatBackendEntry[]): NatState => natStateOf(fes, bes);

/** replay applies ops one at a time and checks, after each, what a racing packet could see. */
function replay(from: NatState, ops: readonly NatOp[]): NatState {
  const fes = new Map(from.frontends);
  const bes = new Map(from.backends);
  for (const op of ops) {
    if (op.op === "put-frontend") fes.set(frontendKeyId(op.key), { key: op.key, value: op.value });
    else if (op.op === "delete-frontend") fes.delete(frontendKeyId(op.key));
    else if (op.op === "put-backend") bes.set(backendKeyId(op.key), { key: op.key, value: op.value });
    else bes.delete(backendKeyId(op.key));
    for (const f of fes.values()) {
      for (let index = 0; index < f.value.count; index++) {
        assert.ok(bes.has(backendKeyId({ svcId: f.value.svcId, index })), `after ${op.op}: frontend ${f.key.addr} reaches missing slot ${f.value.svcId}#${index}`);
      }
    }
  }
  return { frontends: fes, backends: bes };
}

const cases: [string, NatState, NatState][] = [
  ["a new service", state([], []), state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"]))],
  ["a service growing", state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"])), state([fe("198.19.0.1", 1, 3)], list(1, ["198.18.1.1", "198.18.1.2", "198.18.1.3"]))],
  ["a service shrinking", state([fe("198.19.0.1", 1, 3)], list(1, ["198.18.1.1", "198.18.1.2", "198.18.1.3"])), state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.3"]))],
  ["a service deleted", state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])), state([], [])],
  ["a frontend switching to another id", state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])), state([fe("198.19.0.1", 2, 1)], list(2, ["198.18.1.9"]))],
  ["a service losing every endpoint", state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])), state([fe("198.19.0.1", 1, 0)], [])],
];

describe("planNatUpdate", () => {
  for (const [name, from, to] of cases) {
    test(`${name}: a racing packet never finds a frontend reaching a missing backend, and the end state is the desired one`, () => {
      const end = replay(from, planNatUpdate(from, to).ops);
      assert.deepEqual([...end.frontends.keys()].sort(), [...to.frontends.keys()].sort());
      assert.deepEqual([...end.backends].map(([k, v]) => [k, v.value]).sort(), [...to.backends].map(([k, v]) => [k, v.value]).sort());
    });
  }

  test("orders backend puts, then frontend changes, then backend deletes", () => {
    const from = state([fe("198.19.0.1", 1, 2), fe("198.19.0.2", 2, 1)], [...list(1, ["198.18.1.1", "198.18.1.2"]), ...list(2, ["198.18.2.1"])]);
    const to = state([fe("198.19.0.1", 1, 1), fe("198.19.0.3", 3, 1)], [...list(1, ["198.18.1.9"]), ...list(3, ["198.18.3.1"])]);
    const ops = planNatUpdate(from, to).ops.map((o) => (o.op === "put-backend" || o.op === "put-frontend" ? `${o.op}:${o.change}` : o.op));
    assert.deepEqual(ops, ["put-backend:add", "put-backend:update", "put-frontend:update", "put-frontend:add", "delete-frontend", "delete-backend", "delete-backend"]);
  });

  test("equal states plan nothing", () => {
    const s = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"]));
    const copy = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"]));
    assert.deepEqual(planNatUpdate(s, copy), { ops: [], removed: [] });
  });

  test("reports the backends the update takes away from each frontend", () => {
    const from = state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"]));
    const to = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.2"]));
    assert.deepEqual(planNatUpdate(from, to).removed, [{ frontend: { addr: "198.19.0.1", port: 80, proto: 6 }, backend: { addr: "198.18.1.1", port: 8080 } }]);
  });
});
