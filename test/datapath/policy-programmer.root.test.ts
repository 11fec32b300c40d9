/**
 * The PolicyProgrammer on real maps: chunks verified by the kernel, written into sl_pol_jump,
 * the endpoint's sl_pol_endpoints entry switched, the old slot emptied, and the installed program
 * deciding a packet under BPF_PROG_TEST_RUN. Needs root; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BpfMap } from "../../src/bpf/map.ts";
import { MapType } from "../../src/bpf/map-type.ts";
import type { Program } from "../../src/bpf/program.ts";
import { SL_POL_SLOT_FIRST, SlPolVerdict, decodeSlPolEndpoint } from "../../src/datapath/abi/abi.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyProgrammer } from "../../src/datapath/policy/policy-programmer.ts";
import { PolicySlots } from "../../src/datapath/policy/policy-slots.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import type { EndpointPolicy } from "../../src/policy/rule-ir.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { PolicyHarness } from "../policy/policy-harness.ts";

let h: PolicyHarness | undefined;
let endpoints: BpfMap | undefined;
before(() => {
  if (!isRoot) return;
  h = new PolicyHarness();
  endpoints = BpfMap.create({
    name: "sl_pol_endpoints",
    type: MapType.Hash,
    keySize: 4,
    valueSize: 32,
    maxEntries: 64,
    flags: 0,
    pinning: "none",
  });
});
after(() => {
  endpoints?.close();
  h?.close();
});

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const ir = (defaultAction: "allow" | "deny"): EndpointPolicy => ({
  endpoint: "x/a",
  direction: "ingress",
  tiers: [],
  defaultAction,
  defaultRuleId: defaultAction === "allow" ? 1 : 2,
});
const packet = {
  srcAddr: 0xc6120001,
  dstAddr: 0xc6120002,
  proto: 6,
  ipVersion: 4 as const,
  hasPorts: true,
  srcPort: 40000,
  dstPort: 80,
  icmpType: 0,
  icmpCode: 0,
};

test("programs go into fresh slots, the entry switches, the old slot is emptied", requireRoot, () => {
  const mapFds = new Map([...h!.maps].map(([n, m]) => [n, m.fd] as const));
  const sink = new KernelPolicySink(h!.map(PolicyMapName.jump), endpoints!, mapFds);
  const programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63));
  try {
    assert.equal(
      programmer.apply({ ifindex: 9, name: "x/a", flags: 0, hooks: { ingress: ir("deny") } }).kind,
      "applied",
    );
    const first = decodeSlPolEndpoint(endpoints!.get(u32(9))!);
    assert.equal(first.ingressSlot, SL_POL_SLOT_FIRST);
    const run = (slot: number) => {
      const hook = programmer.installed(9)!.hooks.get("ingress")!;
      assert.equal(hook.base, slot);
      return h!.run(
        { programs: hook.programs as Program[], slots: hook.compiled!.chunks.map((c) => c.slot) },
        packet,
      );
    };
    const denied = run(first.ingressSlot);
    assert.equal(denied.verdict, SlPolVerdict.SL_POL_DENY);
    assert.equal(denied.ruleId, 2);

    programmer.apply({ ifindex: 9, name: "x/a", flags: 0, hooks: { ingress: ir("allow") } });
    const second = decodeSlPolEndpoint(endpoints!.get(u32(9))!);
    assert.notEqual(second.ingressSlot, first.ingressSlot);
    assert.equal(h!.map(PolicyMapName.jump).get(u32(first.ingressSlot)), undefined);
    assert.notEqual(h!.map(PolicyMapName.jump).get(u32(second.ingressSlot)), undefined);
    const allowed = run(second.ingressSlot);
    assert.equal(allowed.verdict, SlPolVerdict.SL_POL_ALLOW);
    assert.equal(allowed.ruleId, 1);
  } finally {
    programmer.remove(9);
  }
  assert.equal(endpoints!.get(u32(9)), undefined);
  assert.equal(h!.map(PolicyMapName.jump).get(u32(SL_POL_SLOT_FIRST + 1)), undefined);
});
