import assert from "node:assert/strict";
import { test } from "node:test";
import type { SlPolEndpoint } from "../abi/abi.ts";
import { planPolicyAdoption } from "./plan-policy-adoption.ts";

const entry = (slots: Partial<SlPolEndpoint>): SlPolEndpoint => ({
  ingressSlot: 0,
  egressSlot: 0,
  preDnatSlot: 0,
  fwdIngressSlot: 0,
  fwdEgressSlot: 0,
  untrackedIngressSlot: 0,
  untrackedEgressSlot: 0,
  flags: 0,
  ...slots,
});

test("planPolicyAdoption: runs end at an empty slot or the next base; unreached slots are orphans", () => {
  const plan = planPolicyAdoption(
    new Map([
      [7, entry({ ingressSlot: 100, egressSlot: 103 })],
      [8, entry({ ingressSlot: 110 }) /* base empty: reserved, nothing to clear */],
      [9, entry({ ingressSlot: 999 }) /* outside the range: the fail-closed slot */],
    ]),
    [100, 101, 102, 103, 104, 106, 120],
    { first: 100, last: 200 },
  );
  const runs = plan.endpoints.map((e) => [
    e.ifindex,
    [...e.hooks].map(([h, r]) => [h, r.base, r.count, !!r.empty]),
  ]);
  assert.deepEqual(runs, [
    [
      7,
      [
        ["ingress", 100, 3, false],
        ["egress", 103, 2, false],
      ],
    ],
    [8, [["ingress", 110, 1, true]]],
    [9, [["ingress", 999, 0, false]]],
  ]);
  assert.deepEqual(plan.orphans, [106, 120]);
});
