// planNatUpdate sorts ids as plain strings and builds each op after the sort (a cold start plans
// ~110k puts at 10k Services); this checks it against the implementation it replaced — each op
// built first, sorted by a comparator over its id —, kept verbatim, on random states: the same
// ops in the same order, the same removed backends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { natStateOf, removedBackends } from "../calc/index.ts";
import type {
  NatBackendEntry,
  NatFrontendEntry,
  NatFrontendValue,
  NatBackendValue,
  NatSourceRangeEntry,
  NatState,
} from "../calc/index.ts";
import { planNatUpdate } from "./plan-nat-update.ts";
import type { NatOp, NatPlan } from "./plan-nat-update.ts";
import { prng } from "../../test/support/random-services.ts";

const sameFe = (a: NatFrontendValue, b: NatFrontendValue): boolean =>
  a.svcId === b.svcId &&
  a.count === b.count &&
  a.localCount === b.localCount &&
  a.flags === b.flags &&
  a.affinityTimeoutS === b.affinityTimeoutS;
const sameBe = (a: NatBackendValue, b: NatBackendValue): boolean => a.addr === b.addr && a.port === b.port;
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const inOrder = (ops: { id: string; op: NatOp }[]): NatOp[] => ops.sort(byId).map((o) => o.op);

function referencePlan(actual: NatState, desired: NatState): NatPlan {
  type Keyed = { id: string; op: NatOp };
  const addBe: Keyed[] = [];
  const updateBe: Keyed[] = [];
  const addSrc: Keyed[] = [];
  const frontends: Keyed[] = [];
  const deleteSrc: Keyed[] = [];
  const deleteBe: Keyed[] = [];
  for (const [id, be] of desired.backends) {
    const have = actual.backends.get(id);
    if (have === undefined)
      addBe.push({ id, op: { op: "put-backend", key: be.key, value: be.value, change: "add" } });
    else if (!sameBe(have.value, be.value))
      updateBe.push({ id, op: { op: "put-backend", key: be.key, value: be.value, change: "update" } });
  }
  for (const [id, r] of desired.sourceRanges) {
    const port = r.servicePort !== undefined ? { servicePort: r.servicePort } : {};
    if (!actual.sourceRanges.has(id))
      addSrc.push({ id, op: { op: "put-source-range", key: r.key, ...port } });
  }
  for (const [id, r] of actual.sourceRanges)
    if (!desired.sourceRanges.has(id)) deleteSrc.push({ id, op: { op: "delete-source-range", key: r.key } });
  const deleteFe: Keyed[] = [];
  for (const [id, fe] of desired.frontends) {
    const have = actual.frontends.get(id);
    const port = fe.servicePort !== undefined ? { servicePort: fe.servicePort } : {};
    if (have === undefined)
      frontends.push({
        id,
        op: { op: "put-frontend", key: fe.key, value: fe.value, change: "add", ...port },
      });
    else if (!sameFe(have.value, fe.value))
      frontends.push({
        id,
        op: { op: "put-frontend", key: fe.key, value: fe.value, change: "update", ...port },
      });
  }
  for (const [id, fe] of actual.frontends)
    if (!desired.frontends.has(id)) deleteFe.push({ id, op: { op: "delete-frontend", key: fe.key } });
  for (const [id, be] of actual.backends)
    if (!desired.backends.has(id)) deleteBe.push({ id, op: { op: "delete-backend", key: be.key } });
  return {
    ops: [
      ...inOrder(addBe),
      ...inOrder(updateBe),
      ...inOrder(addSrc),
      ...inOrder(frontends),
      ...inOrder(deleteFe),
      ...inOrder(deleteSrc),
      ...inOrder(deleteBe),
    ],
    removed: removedBackends(actual, desired),
  };
}

/** Integers below n from the seeded generator the NAT property tests use (a failure repeats). */
function random(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => Math.floor(next() * n);
}

/** A random state over few ids (so two states share many), ids chosen so their string and numeric orders differ. */
function randomState(r: (n: number) => number): NatState {
  const ids = [1, 2, 9, 10, 11, 100, 1000].filter(() => r(3) > 0);
  const fes: NatFrontendEntry[] = [];
  const bes: NatBackendEntry[] = [];
  const srcs: NatSourceRangeEntry[] = [];
  for (const svcId of ids) {
    const count = r(12);
    for (let f = 0; f < 1 + r(3); f++)
      fes.push({
        key: { addr: `10.0.${r(3)}.${f}`, port: 80 + r(2), proto: r(2) === 0 ? 6 : 17 },
        value: { svcId, count, localCount: r(2), flags: r(4), affinityTimeoutS: 0 },
        ...(r(2) === 0 ? { servicePort: `default/s${svcId}:http/TCP` } : {}),
      });
    for (let index = 0; index < count; index++)
      bes.push({ key: { svcId, index }, value: { addr: `10.1.0.${r(4)}`, port: 8080 + r(2) } });
    for (let c = 0; c < r(3); c++)
      srcs.push({
        key: { svcId, cidr: `198.${18 + r(2)}.0.0/16` },
        ...(r(2) === 0 ? { servicePort: `default/s${svcId}:http/TCP` } : {}),
      });
  }
  return natStateOf(fes, bes, srcs);
}

test("planNatUpdate plans what the comparator-sorted implementation planned, op for op", () => {
  const empty = natStateOf([], []);
  let ops = 0;
  for (let seed = 1; seed <= 1500; seed++) {
    const r = random(seed);
    const a = randomState(r);
    const b = randomState(r);
    for (const [from, to] of [
      [a, b],
      [b, a],
      [empty, a],
      [a, empty],
      [a, a],
    ] as const) {
      const got = planNatUpdate(from, to);
      assert.deepEqual(got, referencePlan(from, to), `seed ${seed}`);
      ops += got.ops.length;
    }
  }
  assert.ok(ops > 50_000, `${ops} ops compared`);
});
