import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backendKeyId, frontendKeyId, natStateOf, sourceRangeKeyId } from "../calc/index.ts";
import type {
  NatBackendEntry,
  NatFrontendEntry,
  NatFrontendValue,
  NatSourceRangeEntry,
  NatState,
} from "../calc/index.ts";
import { SL_NAT_FE_EXTERNAL, SL_NAT_FE_SRC_RANGES } from "../datapath/abi/abi.ts";
import { planNatUpdate } from "./plan-nat-update.ts";
import { AppliedBackends } from "./applied-backends.ts";
import { prng } from "../../test/support/random-services.ts";
import type { NatOp } from "./plan-nat-update.ts";

const fe = (addr: string, svcId: number, count: number, localCount = 0, flags = 0): NatFrontendEntry => ({
  key: { addr, port: 80, proto: 6 },
  value: { svcId, count, localCount, flags, affinityTimeoutS: 0 },
});
const lb = (addr: string, svcId: number, count: number): NatFrontendEntry =>
  fe(addr, svcId, count, 0, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES);
const list = (svcId: number, addrs: string[]): NatBackendEntry[] =>
  addrs.map((addr, index) => ({ key: { svcId, index }, value: { addr, port: 8080 } }));
const ranges = (svcId: number, cidrs: string[]): NatSourceRangeEntry[] =>
  cidrs.map((cidr) => ({ key: { svcId, cidr } }));
const state = (fes: NatFrontendEntry[], bes: NatBackendEntry[], srcs: NatSourceRangeEntry[] = []): NatState =>
  natStateOf(fes, bes, srcs);
const cidrsOf = (s: NatState | ReadonlyMap<string, NatSourceRangeEntry>, svcId: number): string[] =>
  [...("sourceRanges" in s ? s.sourceRanges : s).values()]
    .filter((r) => r.key.svcId === svcId)
    .map((r) => r.key.cidr);
const sameValue = (a: NatFrontendValue | undefined, b: NatFrontendValue): boolean =>
  a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/**
 * replay applies ops one at a time and checks, after each, what a racing packet could see: no
 * frontend reaches a missing backend slot; a flagged frontend still carrying its old value
 * admits every CIDR both states admit, and one carrying its new value admits all of the new set.
 */
function replay(from: NatState, to: NatState, ops: readonly NatOp[]): NatState {
  const fes = new Map(from.frontends);
  const bes = new Map(from.backends);
  const srcs = new Map(from.sourceRanges);
  for (const op of ops) {
    if (op.op === "put-frontend") fes.set(frontendKeyId(op.key), { key: op.key, value: op.value });
    else if (op.op === "delete-frontend") fes.delete(frontendKeyId(op.key));
    else if (op.op === "put-backend") bes.set(backendKeyId(op.key), { key: op.key, value: op.value });
    else if (op.op === "delete-backend") bes.delete(backendKeyId(op.key));
    else if (op.op === "put-source-range") srcs.set(sourceRangeKeyId(op.key), { key: op.key });
    else srcs.delete(sourceRangeKeyId(op.key));
    for (const [id, f] of fes) {
      for (let index = 0; index < f.value.count; index++) {
        assert.ok(
          bes.has(backendKeyId({ svcId: f.value.svcId, index })),
          `after ${op.op}: frontend ${f.key.addr} reaches missing slot ${f.value.svcId}#${index}`,
        );
      }
      if ((f.value.flags & SL_NAT_FE_SRC_RANGES) === 0) continue;
      const have = new Set(cidrsOf(srcs, f.value.svcId));
      const want = to.frontends.get(id);
      const was = from.frontends.get(id);
      let need: string[] = [];
      if (want !== undefined && sameValue(want.value, f.value)) need = cidrsOf(to, f.value.svcId);
      else if (was !== undefined && sameValue(was.value, f.value))
        need = cidrsOf(from, f.value.svcId).filter((c) => cidrsOf(to, (want ?? was).value.svcId).includes(c));
      for (const c of need)
        assert.ok(
          have.has(c),
          `after ${op.op}: flagged frontend ${f.key.addr} (svc ${f.value.svcId}) lost range ${c}`,
        );
    }
  }
  return { frontends: fes, backends: bes, sourceRanges: srcs };
}

const cases: [string, NatState, NatState][] = [
  ["a new service", state([], []), state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"]))],
  [
    "a service growing",
    state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"])),
    state([fe("198.19.0.1", 1, 3)], list(1, ["198.18.1.1", "198.18.1.2", "198.18.1.3"])),
  ],
  [
    "a service shrinking",
    state([fe("198.19.0.1", 1, 3)], list(1, ["198.18.1.1", "198.18.1.2", "198.18.1.3"])),
    state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.3"])),
  ],
  [
    "a service deleted",
    state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])),
    state([], []),
  ],
  [
    "a frontend switching to another id",
    state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])),
    state([fe("198.19.0.1", 2, 1)], list(2, ["198.18.1.9"])),
  ],
  [
    "a service losing every endpoint",
    state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"])),
    state([fe("198.19.0.1", 1, 0)], []),
  ],
  [
    "a new restricted LB IP",
    state([], []),
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8", "198.18.100.0/24"])),
  ],
  [
    "an open LB IP becoming restricted",
    state([fe("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"])),
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8"])),
  ],
  [
    "a restricted LB IP opened up",
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8"])),
    state([fe("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"])),
  ],
  [
    "ranges replaced under a flagged LB IP",
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8", "172.16.0.0/12"])),
    state(
      [lb("198.18.200.1", 1, 1)],
      list(1, ["198.18.1.1"]),
      ranges(1, ["172.16.0.0/12", "192.168.0.0/16"]),
    ),
  ],
  [
    "a restricted LB IP switching to another id",
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8"])),
    state([lb("198.18.200.1", 2, 1)], list(2, ["198.18.1.2"]), ranges(2, ["10.0.0.0/8"])),
  ],
  [
    "a restricted service deleted",
    state([lb("198.18.200.1", 1, 1)], list(1, ["198.18.1.1"]), ranges(1, ["10.0.0.0/8"])),
    state([], []),
  ],
];

describe("planNatUpdate", () => {
  for (const [name, from, to] of cases) {
    test(`${name}: a racing packet never finds a frontend reaching a missing backend, and the end state is the desired one`, () => {
      const end = replay(from, to, planNatUpdate(from, to).ops);
      assert.deepEqual(
        [...end.frontends].map(([k, v]) => [k, v.value]).sort(),
        [...to.frontends].map(([k, v]) => [k, v.value]).sort(),
      );
      assert.deepEqual([...end.sourceRanges.keys()].sort(), [...to.sourceRanges.keys()].sort());
      assert.deepEqual(
        [...end.backends].map(([k, v]) => [k, v.value]).sort(),
        [...to.backends].map(([k, v]) => [k, v.value]).sort(),
      );
    });
  }

  test("orders backend puts, then frontend changes, then backend deletes", () => {
    const from = state(
      [fe("198.19.0.1", 1, 2), fe("198.19.0.2", 2, 1)],
      [...list(1, ["198.18.1.1", "198.18.1.2"]), ...list(2, ["198.18.2.1"])],
    );
    const to = state(
      [fe("198.19.0.1", 1, 1), fe("198.19.0.3", 3, 1)],
      [...list(1, ["198.18.1.9"]), ...list(3, ["198.18.3.1"])],
    );
    const ops = planNatUpdate(from, to).ops.map((o) =>
      o.op === "put-backend" || o.op === "put-frontend" ? `${o.op}:${o.change}` : o.op,
    );
    assert.deepEqual(ops, [
      "put-backend:add",
      "put-backend:update",
      "put-frontend:update",
      "put-frontend:add",
      "delete-frontend",
      "delete-backend",
      "delete-backend",
    ]);
  });

  test("equal states plan nothing", () => {
    const s = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"]));
    const copy = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.1"]));
    assert.deepEqual(planNatUpdate(s, copy), { ops: [], removed: [] });
  });

  test("reports the backends the update takes away from each frontend", () => {
    const from = state([fe("198.19.0.1", 1, 2)], list(1, ["198.18.1.1", "198.18.1.2"]));
    const to = state([fe("198.19.0.1", 1, 1)], list(1, ["198.18.1.2"]));
    assert.deepEqual(planNatUpdate(from, to).removed, [
      { frontend: { addr: "198.19.0.1", port: 80, proto: 6 }, backend: { addr: "198.18.1.1", port: 8080 } },
    ]);
  });

  test("puts source ranges before the frontend that turns the check on, deletes them after it is off, and writes only the delta", () => {
    const from = state(
      [lb("198.18.200.1", 1, 1), lb("198.18.200.2", 2, 1)],
      [...list(1, ["198.18.1.1"]), ...list(2, ["198.18.1.1"])],
      [...ranges(1, ["10.0.0.0/8", "172.16.0.0/12"]), ...ranges(2, ["10.0.0.0/8"])],
    );
    const to = state(
      [lb("198.18.200.1", 1, 1), fe("198.18.200.2", 2, 1), lb("198.18.200.3", 3, 1)],
      [...list(1, ["198.18.1.1"]), ...list(2, ["198.18.1.1"]), ...list(3, ["198.18.1.1"])],
      [...ranges(1, ["10.0.0.0/8", "192.168.0.0/16"]), ...ranges(3, ["10.0.0.0/8"])],
    );
    const ops = planNatUpdate(from, to).ops.map((o) => {
      if (o.op === "put-source-range" || o.op === "delete-source-range")
        return `${o.op}:${o.key.svcId}|${o.key.cidr}`;
      return o.op === "put-frontend" || o.op === "delete-frontend" ? `${o.op}:${o.key.addr}` : o.op;
    });
    assert.deepEqual(ops, [
      "put-backend",
      "put-source-range:1|192.168.0.0/16",
      "put-source-range:3|10.0.0.0/8",
      "put-frontend:198.18.200.2",
      "put-frontend:198.18.200.3",
      "delete-source-range:1|172.16.0.0/12",
      "delete-source-range:2|10.0.0.0/8",
    ]);
  });

  test("states whose backends are read by slot (AppliedBackends) plan exactly what the same states as Maps do", () => {
    const random = prng(20261207);
    const pick = (n: number): number => Math.floor(random() * n);
    /** A state of up to 6 Services: lists with holes, stale slots past the count, shared addresses. */
    const randomState = (): NatState => {
      const fes: NatFrontendEntry[] = [];
      const bes: NatBackendEntry[] = [];
      for (let svcId = 1; svcId <= 6; svcId++) {
        if (random() < 0.3) continue;
        const count = pick(5);
        fes.push(fe(`198.19.0.${svcId}`, svcId, count));
        for (let index = 0; index < count + pick(3); index++)
          if (random() < 0.85)
            bes.push({ key: { svcId, index }, value: { addr: `198.18.1.${pick(6)}`, port: 8080 } });
      }
      return state(fes, bes);
    };
    const bySlot = (s: NatState): NatState => ({
      ...s,
      backends: AppliedBackends.fromEntries(s.backends.values()),
    });
    let changed = 0;
    for (let round = 0; round < 400; round++) {
      const from = randomState();
      const to = randomState();
      const want = planNatUpdate(from, to);
      if (want.ops.length > 0 && want.removed.length > 0) changed++;
      for (const [a, b] of [
        [bySlot(from), bySlot(to)],
        [bySlot(from), to],
        [from, bySlot(to)],
      ] as const)
        assert.deepEqual(planNatUpdate(a, b), want, `round ${round}`);
    }
    assert.ok(changed > 100, `${changed} rounds both wrote and took backends away`);
  });
});
