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

test("planPolicyAdoption: untrackedIngress runs and orphans come from sl_pol_jump_xdp, the rest from sl_pol_jump", () => {
  // Slot 100 is a tc program of ifindex 7 and, in the XDP array, the untracked program of ifindex 8.
  const plan = planPolicyAdoption(
    new Map([
      [7, entry({ ingressSlot: 100, untrackedEgressSlot: 102 })],
      [8, entry({ ingressSlot: 104, untrackedIngressSlot: 100 })],
    ]),
    [100, 101, 102, 104],
    { first: 100, last: 200 },
    [100, 101, 150],
  );
  const runs = plan.endpoints.map((e) => [e.ifindex, [...e.hooks].map(([h, r]) => [h, r.base, r.count])]);
  assert.deepEqual(runs, [
    [
      7,
      [
        ["ingress", 100, 2],
        ["untrackedEgress", 102, 1],
      ],
    ],
    [
      8,
      [
        ["ingress", 104, 1],
        ["untrackedIngress", 100, 2],
      ],
    ],
  ]);
  assert.deepEqual(plan.orphans, []);
  assert.deepEqual(plan.xdpOrphans, [150]);
});

test("planPolicyAdoption: without the XDP array an untrackedIngress slot is recorded, not reserved", () => {
  const plan = planPolicyAdoption(
    new Map([[8, entry({ ingressSlot: 104, untrackedIngressSlot: 105 })]]),
    [104, 105],
    { first: 100, last: 200 },
  );
  const hooks = [...plan.endpoints[0]!.hooks].map(([h, r]) => [h, r.base, r.count]);
  assert.deepEqual(hooks, [
    ["ingress", 104, 2],
    ["untrackedIngress", 105, 0],
  ]);
});
