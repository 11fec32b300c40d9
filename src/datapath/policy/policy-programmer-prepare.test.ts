import { test } from "node:test";
import assert from "node:assert/strict";
import { SL_POL_SLOT_FIRST } from "../abi/abi.ts";
import { compilePolicy } from "../../policy/compile-policy.ts";
import type { EndpointPolicy } from "../../policy/rule-ir.ts";
import { largePolicy } from "../../../test/policy/large-policy.ts";
import { PolicyProgrammer, type EndpointPolicySpec } from "./policy-programmer.ts";
import { PolicySlots } from "./policy-slots.ts";
import { RecordingPolicySink } from "./recording-policy-sink.ts";

function ir(endpoint: string, defaultAction: "allow" | "deny", ruleId = 1): EndpointPolicy {
  return { endpoint, direction: "ingress", tiers: [], defaultAction, defaultRuleId: ruleId };
}

// 5,000 rules: three chunks, so a failure can hit a chunk in the middle.
const BIG = largePolicy(5000);
const CHUNKS = compilePolicy(BIG, { slotBase: SL_POL_SLOT_FIRST }).chunks.length;

function setup() {
  const sink = new RecordingPolicySink();
  const slots = new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 255);
  return { sink, slots, programmer: new PolicyProgrammer(sink, slots, { loadConcurrency: 3 }) };
}

const specs = (): EndpointPolicySpec[] => [
  { ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: BIG, egress: ir("x/a", "deny", 2) } },
  { ifindex: 8, name: "x/b", flags: 0, hooks: { ingress: ir("x/b", "allow", 3) } },
];

test("prepare() then apply() installs what apply() alone does; every load precedes every write", async () => {
  assert.ok(CHUNKS > 1, `the big policy has ${CHUNKS} chunk(s)`);
  const seq = setup();
  for (const s of specs()) assert.equal(seq.programmer.apply(s).kind, "applied");
  const conc = setup();
  const report = await conc.programmer.prepare(specs());
  assert.deepEqual(report, { hooks: 3, failed: 0, chunks: CHUNKS + 2 });
  const loads = conc.sink.log.length;
  assert.ok(conc.sink.log.every((l) => l.startsWith("load ")));
  for (const s of specs()) assert.equal(conc.programmer.apply(s).kind, "applied");
  assert.equal(conc.sink.log.slice(loads).filter((l) => l.startsWith("load ")).length, 0);
  assert.deepEqual(conc.sink.endpoints, seq.sink.endpoints);
  const bySlot = (s: RecordingPolicySink) =>
    [...s.slots].map(([slot, p]) => [slot, p.chunk.spec.instructions] as const).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(bySlot(conc.sink), bySlot(seq.sink));
  assert.equal(conc.sink.openPrograms(), CHUNKS + 2);
  assert.equal(conc.slots.used, seq.slots.used);
});

test("a chunk that fails in prepare() leaves the endpoint on its old programs; its other chunks are closed", async () => {
  const { sink, slots, programmer } = setup();
  programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } });
  const before = { ...sink.endpoints.get(7)! };
  const used = slots.used;
  // Fail the big policy's second chunk, whatever its name: the second chunk compiled for 7.
  let seen = 0;
  sink.failLoad = () => (++seen === 2 ? "verifier: R0 !read_ok" : undefined);
  sink.log.length = 0;
  await programmer.prepare([{ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: BIG } }]);
  const out = programmer.apply({ ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: BIG } });
  assert.equal(out.kind, "failed");
  assert.match(
    (out as { error: Error }).error.message,
    /endpoint x\/a \(ifindex 7\) ingress: load failed: verifier/,
  );
  assert.deepEqual(sink.endpoints.get(7), before);
  assert.ok(
    sink.log.every((l) => l.startsWith("load ")),
    sink.log.join(),
  );
  assert.equal(sink.openPrograms(), 1);
  assert.equal(sink.slots.get(before.ingressSlot)!.closed, false);
  assert.equal(slots.used, used);
});

test("what apply() does not take is discarded: another IR, or discardPrepared()", async () => {
  const { sink, slots, programmer } = setup();
  await programmer.prepare(specs());
  // x/a's ingress changed since prepare(): its prepared programs go, the new IR is built in apply().
  const changed = { ...specs()[0]!, hooks: { ingress: ir("x/a", "allow", 4), egress: ir("x/a", "deny", 2) } };
  assert.equal(programmer.apply(changed).kind, "applied");
  assert.equal(sink.openPrograms(), 2 + 1); // x/a's two hooks + x/b's prepared one
  programmer.discardPrepared();
  assert.equal(sink.openPrograms(), 2);
  assert.equal(slots.used, 2);
  assert.equal(programmer.apply(specs()[1]!).kind, "applied"); // built anew, nothing left prepared
  assert.equal(sink.openPrograms(), 3);
});

test("discardPrepared() during a prepare() in flight closes what it loads and frees its slots", async () => {
  const { sink, slots, programmer } = setup();
  const pending = programmer.prepare(specs());
  programmer.discardPrepared();
  await pending;
  assert.equal(sink.openPrograms(), 0);
  assert.equal(slots.used, 0);
  assert.equal(programmer.apply(specs()[1]!).kind, "applied");
});

test("a compile error found by prepare() is apply()'s error; other endpoints are prepared", async () => {
  const sink = new RecordingPolicySink();
  const slots = new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63);
  const programmer = new PolicyProgrammer(sink, slots, {
    compile: (p, o) => {
      if (p.endpoint === "x/b") throw new Error("too many rules");
      return compilePolicy(p, o);
    },
  });
  const two: EndpointPolicySpec[] = [
    { ifindex: 7, name: "x/a", flags: 0, hooks: { ingress: ir("x/a", "deny") } },
    { ifindex: 8, name: "x/b", flags: 0, hooks: { ingress: ir("x/b", "deny", 2) } },
  ];
  assert.deepEqual(await programmer.prepare(two), { hooks: 1, failed: 1, chunks: 1 });
  assert.equal(programmer.apply(two[0]!).kind, "applied");
  const out = programmer.apply(two[1]!);
  assert.equal(out.kind, "failed");
  assert.match(
    (out as { error: Error }).error.message,
    /x\/b \(ifindex 8\) ingress: compile failed: too many rules/,
  );
  assert.equal(sink.endpoints.has(8), false);
  assert.equal(slots.used, 1);
});
