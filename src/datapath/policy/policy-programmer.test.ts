import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SL_POL_EP_F_HOST,
  SL_POL_HEP_ARRIVAL_CHUNKS,
  SL_POL_MAX_CHUNKS,
  SL_POL_SLOT_FIRST,
} from "../abi/abi.ts";
import { compilePolicy } from "../../policy/compile-policy.ts";
import type { EndpointPolicy } from "../../policy/rule-ir.ts";
import { PolicyProgrammer } from "./policy-programmer.ts";
import { PolicySlots } from "./policy-slots.ts";
import { RecordingPolicySink } from "./recording-policy-sink.ts";

function ir(endpoint: string, defaultAction: "allow" | "deny", ruleId = 1): EndpointPolicy {
  return { endpoint, direction: "ingress", tiers: [], defaultAction, defaultRuleId: ruleId };
}

function setup(last = SL_POL_SLOT_FIRST + 63) {
  const sink = new RecordingPolicySink();
  const slots = new PolicySlots(SL_POL_SLOT_FIRST, last);
  let compiles = 0;
  const programmer = new PolicyProgrammer(sink, slots, {
    compile: (p, o) => {
      compiles++;
      return compilePolicy(p, o);
    },
  });
  return { sink, slots, programmer, compiles: () => compiles };
}

test("a new program's slots are written before the endpoint entry, the old ones cleared after", () => {
  const { sink, programmer, slots } = setup();
  const first = programmer.apply({
    ifindex: 7,
    name: "x/a",
    flags: 0,
    hooks: { ingress: ir("x/a", "deny") },
  });
  assert.equal(first.kind, "applied");
  const oldSlot = sink.endpoints.get(7)!.ingressSlot;
  assert.equal(oldSlot, SL_POL_SLOT_FIRST);
  assert.equal(sink.endpoints.get(7)!.egressSlot, 0);
  sink.log.length = 0;
  programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "allow") } });
  const newSlot = sink.endpoints.get(7)!.ingressSlot;
  assert.notEqual(newSlot, oldSlot);
  assert.deepEqual(sink.log, ["load 2", `slot ${newSlot}=2`, "endpoint 7", `clear ${oldSlot}`]);
  assert.equal(sink.programs[0]!.closed, true);
  assert.equal(sink.openPrograms(), 1);
  assert.equal(slots.used, 1);
});

test("an unchanged IR is not recompiled and writes nothing", () => {
  const { sink, programmer, compiles } = setup();
  const spec = { ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } };
  programmer.apply(spec);
  const n = compiles();
  sink.log.length = 0;
  // A structurally equal IR built anew (the calculator's output is never the same object).
  assert.equal(programmer.apply({ ...spec, hooks: { ingress: ir("x/a", "deny") } }).kind, "unchanged");
  assert.equal(compiles(), n);
  assert.deepEqual(sink.log, []);
});

test("changing one hook leaves the other hook's program in place", () => {
  const { sink, programmer } = setup();
  programmer.apply({
    ifindex: 7,
    name: "x/a",
    flags: 0,
    hooks: { ingress: ir("x/a", "deny"), egress: ir("x/a", "deny", 2) },
  });
  const before = sink.endpoints.get(7)!;
  const out = programmer.apply({
    ifindex: 7,
    name: "x/a",
    flags: 0,
    hooks: { ingress: ir("x/a", "allow"), egress: ir("x/a", "deny", 2) },
  });
  assert.deepEqual(out, { kind: "applied", compiledHooks: ["ingress"] });
  assert.equal(sink.endpoints.get(7)!.egressSlot, before.egressSlot);
  assert.notEqual(sink.endpoints.get(7)!.ingressSlot, before.ingressSlot);
});

test("a load error names the endpoint and keeps its previous programs; other endpoints go on", () => {
  const { sink, programmer, slots } = setup();
  programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } });
  const before = { ...sink.endpoints.get(7)! };
  const usedBefore = slots.used;
  sink.failLoad = () => "verifier: R0 !read_ok";
  sink.log.length = 0;
  const out = programmer.apply({
    ifindex: 7,
    name: "x/a",
    flags: 0,
    hooks: { ingress: ir("x/a", "allow") },
  });
  assert.equal(out.kind, "failed");
  assert.match(
    (out as { error: Error }).error.message,
    /endpoint x\/a \(ifindex 7\) ingress: load failed: verifier/,
  );
  assert.deepEqual(sink.endpoints.get(7), before);
  assert.equal(sink.slots.get(before.ingressSlot)!.closed, false);
  assert.deepEqual(sink.log, []);
  assert.equal(slots.used, usedBefore);
  assert.equal(programmer.errors().size, 1);
  sink.failLoad = undefined;
  assert.equal(
    programmer.apply({ ifindex: 8, name: "x/b", flags: 0, hooks: { ingress: ir("x/b", "deny") } }).kind,
    "applied",
  );
});

test("slot exhaustion is an error naming the endpoint; the endpoint has no half-applied entry", () => {
  const { sink, programmer } = setup(SL_POL_SLOT_FIRST + 1);
  programmer.apply({ ifindex: 1, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } });
  programmer.apply({ ifindex: 2, name: "x/b", flags: 0, hooks: { ingress: ir("x/b", "deny") } });
  const out = programmer.apply({
    ifindex: 3,
    name: "x/c",
    flags: 0,
    hooks: { ingress: ir("x/c", "deny") },
  });
  assert.equal(out.kind, "failed");
  assert.match((out as { error: Error }).error.message, /x\/c .*no 1 free contiguous slots \(2 in use\)/);
  assert.equal(sink.endpoints.has(3), false);
  assert.equal(sink.openPrograms(), 2);
});

test("an endpoint with no policy at any hook has no entry, and its slots are freed", () => {
  const { sink, programmer, slots } = setup();
  programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } });
  sink.log.length = 0;
  assert.equal(programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: {} }).kind, "removed");
  assert.deepEqual(sink.log, ["delete 7", `clear ${SL_POL_SLOT_FIRST}`]);
  assert.equal(sink.endpoints.size, 0);
  assert.equal(slots.used, 0);
  assert.equal(sink.openPrograms(), 0);
});

test("slots: first fit over contiguous runs, reserve and free", () => {
  const s = new PolicySlots(10, 19);
  assert.equal(s.allocate(3), 10);
  assert.equal(s.allocate(SL_POL_MAX_CHUNKS), undefined);
  assert.equal(s.allocate(2), 13);
  s.free(10, 3);
  assert.equal(s.allocate(4), 15);
  assert.equal(s.allocate(3), 10);
  assert.equal(s.reserve(19, 1), true);
  assert.equal(s.reserve(19, 1), false);
  s.free(13, 2);
  assert.throws(() => s.free(12, 2), /slot 13 freed but not allocated/);
  assert.equal(s.used, 8);
});

test("a host endpoint whose preDNAT and ingress programs together pass the tail-call budget is refused, the old programs kept", () => {
  const sink = new RecordingPolicySink();
  // chunk counts by endpoint name, so no 10,000-rule policy has to be compiled
  const programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 255), {
    compile: (p, o) => {
      const one = compilePolicy(p, o);
      const n = Number(p.endpoint.split("/")[1] ?? "1");
      return { chunks: Array.from({ length: n }, (_, i) => ({ ...one.chunks[0]!, slot: o.slotBase + i })) };
    },
  });
  const hep = (pre: number, ing: number, fwd: number) => ({
    ifindex: 9,
    name: "node-eth0",
    flags: SL_POL_EP_F_HOST,
    hooks: {
      preDnatIngress: ir(`p/${pre}`, "allow"),
      ingress: ir(`i/${ing}`, "deny"),
      forwardIngress: ir(`f/${fwd}`, "allow"),
    },
  });
  assert.equal(programmer.apply(hep(7, 8, 3)).kind, "applied", `7 + 8 = ${SL_POL_HEP_ARRIVAL_CHUNKS}`);
  const before = sink.endpoints.get(9);
  const r = programmer.apply(hep(7, 2, 9));
  assert.equal(r.kind, "failed");
  assert.match(
    r.kind === "failed" ? r.error.message : "",
    /node-eth0 \(ifindex 9\): preDNAT needs 7 chunks and ingress 9: together at most 15/,
  );
  assert.deepEqual(sink.endpoints.get(9), before, "the endpoint keeps its programs");
  assert.equal(sink.openPrograms(), 7 + 8 + 3, "the refused programs were closed");
  // without preDNAT a program only needs to fit on its own
  assert.equal(
    programmer.apply({
      ...hep(1, 15, 15),
      hooks: { ingress: ir("i/15", "deny"), forwardIngress: ir("f/15", "deny") },
    }).kind,
    "applied",
  );
});

test("untrackedIngress compiles for XDP into its own prog array; the entry switches with one write", () => {
  const sink = new RecordingPolicySink();
  const xdpArray = new RecordingPolicySink();
  const xdpSlots = new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 15);
  const programmer = new PolicyProgrammer(sink, new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63), {
    xdp: { slots: xdpSlots, array: xdpArray },
  });
  const hooks = { ingress: ir("eth0", "deny"), untrackedIngress: ir("eth0", "allow", 2) };
  const out = programmer.apply({ ifindex: 9, name: "eth0", flags: SL_POL_EP_F_HOST, hooks });
  assert.deepEqual(out, { kind: "applied", compiledHooks: ["ingress", "untrackedIngress"] });
  const entry = sink.endpoints.get(9)!;
  assert.equal(entry.ingressSlot, SL_POL_SLOT_FIRST);
  assert.equal(entry.untrackedIngressSlot, SL_POL_SLOT_FIRST);
  const xdpProgram = xdpArray.slots.get(SL_POL_SLOT_FIRST)!;
  assert.equal(xdpProgram.chunk.spec.section, "xdp");
  assert.equal(sink.slots.get(SL_POL_SLOT_FIRST)!.chunk.spec.section, "tc");
  assert.equal(xdpSlots.used, 1);
  // Dropping the hook clears its XDP slot, not the tc one.
  programmer.apply({ ifindex: 9, name: "eth0", flags: SL_POL_EP_F_HOST, hooks: { ingress: hooks.ingress } });
  assert.equal(sink.endpoints.get(9)!.untrackedIngressSlot, 0);
  assert.equal(xdpArray.slots.size, 0);
  assert.equal(sink.slots.size, 1);
  assert.equal(xdpSlots.used, 0);
});

test("untrackedIngress without an XDP prog array fails to apply and names why", () => {
  const { programmer } = setup();
  const out = programmer.apply({
    ifindex: 9,
    name: "eth0",
    flags: SL_POL_EP_F_HOST,
    hooks: { untrackedIngress: ir("eth0", "allow") },
  });
  assert.equal(out.kind, "failed");
  assert.match(out.kind === "failed" ? out.error.message : "", /no XDP prog array/);
});
