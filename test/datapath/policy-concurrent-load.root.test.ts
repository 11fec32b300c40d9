/**
 * The agent's concurrent policy load on real maps: PolicyProgrammer.prepare verifies a big
 * policy's chunks side by side (KernelPolicySink.loadAsync → Program.loadAsync, BPF_PROG_LOAD on
 * libuv workers) and apply() installs them. The programs it installs are the ones the sequential
 * apply() installs (same kernel tags, same slots) and give the same verdicts and deciding rules
 * under BPF_PROG_TEST_RUN; a chunk that fails to load leaves the endpoint on its old programs,
 * still running, and the error names the endpoint. Needs root; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BpfMap } from "../../src/bpf/map.ts";
import { MapType } from "../../src/bpf/map-type.ts";
import type { Program } from "../../src/bpf/program.ts";
import { SL_POL_SLOT_FIRST, decodeSlPolEndpoint } from "../../src/datapath/abi/abi.ts";
import { KernelPolicySink } from "../../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyProgrammer, type EndpointPolicySpec } from "../../src/datapath/policy/policy-programmer.ts";
import type { PolicyChunk } from "../../src/policy/compile-policy.ts";
import { PolicySlots } from "../../src/datapath/policy/policy-slots.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import type { PolicyPacket } from "../../src/policy/rule-ir.ts";
import { largePolicy, packetFor } from "../policy/large-policy.ts";
import { PolicyHarness, type ProgramVerdict } from "../policy/policy-harness.ts";
import { isRoot, requireRoot } from "../support/root.ts";

const RULES = 5000;
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

let h: PolicyHarness | undefined;
let endpoints: BpfMap | undefined;
before(() => {
  if (!isRoot) return;
  h = new PolicyHarness();
  h.setIpSets(new Map());
  endpoints = BpfMap.create({
    name: "sl_pol_endpoints",
    type: MapType.Hash,
    keySize: 4,
    valueSize: 32,
    maxEntries: 8,
    flags: 0,
    pinning: "none",
  });
});
after(() => {
  endpoints?.close();
  h?.close();
});

/** KernelPolicySink counting how chunks were loaded; `failAsync` rejects the n-th async load. */
class CountingSink extends KernelPolicySink {
  loads = 0;
  asyncLoads = 0;
  failAsync: number | undefined;
  override load(chunk: PolicyChunk) {
    this.loads++;
    return super.load(chunk);
  }
  override async loadAsync(chunk: PolicyChunk) {
    const n = ++this.asyncLoads;
    if (n === this.failAsync) throw new Error("verifier: R0 !read_ok (injected)");
    return super.loadAsync(chunk);
  }
}

function setup() {
  const mapFds = new Map([...h!.maps].map(([n, m]) => [n, m.fd] as const));
  const sink = new CountingSink(h!.map(PolicyMapName.jump), endpoints!, mapFds);
  const slots = new PolicySlots(SL_POL_SLOT_FIRST, SL_POL_SLOT_FIRST + 63);
  return { sink, slots, programmer: new PolicyProgrammer(sink, slots) };
}

const big = largePolicy(RULES);
const spec: EndpointPolicySpec = { ifindex: 7, name: "bench/big", flags: 0, hooks: { ingress: big } };
const stranger: PolicyPacket = { ...packetFor(0), srcAddr: 0xc0a80101, dstPort: 1 };
const packets = [0, 1, 3, RULES / 2 - 1, RULES / 2, RULES - 2, RULES - 1].map(packetFor).concat(stranger);

/** installedRun reads what the endpoint entry points at and runs every packet through it. */
function installedRun(programmer: PolicyProgrammer) {
  const hook = programmer.installed(spec.ifindex)!.hooks.get("ingress")!;
  const entry = decodeSlPolEndpoint(endpoints!.get(u32(spec.ifindex))!);
  assert.equal(entry.ingressSlot, hook.base);
  const programs = hook.programs as Program[];
  const loaded = { programs, slots: programs.map((_, i) => hook.base + i) };
  const verdicts: ProgramVerdict[] = packets.map((p) => h!.run(loaded, p));
  return { base: hook.base, tags: programs.map((p) => p.info().tag), verdicts };
}

test(
  "a policy loaded concurrently (prepare + apply) installs the sequential apply's programs and verdicts",
  requireRoot,
  async () => {
    const seq = setup();
    assert.equal(seq.programmer.apply(spec).kind, "applied");
    const a = installedRun(seq.programmer);
    assert.ok(a.tags.length > 1, `${RULES} rules in ${a.tags.length} chunk(s)`);
    assert.equal(seq.sink.loads, a.tags.length);
    seq.programmer.remove(spec.ifindex);

    const conc = setup();
    const report = await conc.programmer.prepare([spec]);
    assert.deepEqual(report, { hooks: 1, failed: 0, chunks: a.tags.length });
    assert.equal(conc.programmer.apply(spec).kind, "applied");
    assert.equal(conc.sink.loads, 0);
    assert.equal(conc.sink.asyncLoads, a.tags.length);
    const b = installedRun(conc.programmer);
    assert.deepEqual(b, a);
    // Allowed by the rule they name, refused by the end of tier 2 (deny) for the stranger.
    assert.deepEqual(
      b.verdicts.map((v) => v.ruleId),
      [0, 1, 3, RULES / 2 - 1, RULES / 2, RULES - 2, RULES - 1].map((k) => 100 + k).concat(100 + RULES + 3),
    );
    conc.programmer.remove(spec.ifindex);
    conc.programmer.forget();
  },
);

test(
  "a chunk that fails in the concurrent load leaves the endpoint on its old programs, with the endpoint named",
  requireRoot,
  async () => {
    const { sink, slots, programmer } = setup();
    const small = largePolicy(10);
    assert.equal(programmer.apply({ ...spec, hooks: { ingress: small } }).kind, "applied");
    const before = installedRunSmall(programmer);
    const used = slots.used;
    sink.failAsync = 2;
    await programmer.prepare([spec]);
    const out = programmer.apply(spec);
    assert.equal(out.kind, "failed");
    assert.match(
      (out as { error: Error }).error.message,
      /policy for endpoint bench\/big \(ifindex 7\) ingress: load failed: verifier: R0 !read_ok/,
    );
    assert.equal(slots.used, used);
    assert.deepEqual(installedRunSmall(programmer), before);
    // Nothing of the failed load is in sl_pol_jump: only the old run's slots hold programs.
    assert.deepEqual(
      sink.occupiedSlots(slots.first, slots.last),
      [...Array(before.tags.length).keys()].map((i) => before.base + i),
    );
    // The one-buffer probe (BpfMap.scanU32) answers what a lookup per slot answers.
    const perSlot: number[] = [];
    for (let s = slots.first; s <= slots.last; s++) if (sink.jump.get(u32(s)) !== undefined) perSlot.push(s);
    assert.deepEqual(sink.occupiedSlots(slots.first, slots.last), perSlot);
    assert.ok(sink.jump.scanU32, "a live prog array has scanU32");
    programmer.remove(spec.ifindex);
    programmer.forget();
  },
);

function installedRunSmall(programmer: PolicyProgrammer) {
  const hook = programmer.installed(spec.ifindex)!.hooks.get("ingress")!;
  const programs = hook.programs as Program[];
  const loaded = { programs, slots: programs.map((_, i) => hook.base + i) };
  return {
    base: hook.base,
    tags: programs.map((p) => p.info().tag),
    verdicts: [packetFor(3), stranger].map((p) => h!.run(loaded, p)),
    entry: decodeSlPolEndpoint(endpoints!.get(u32(spec.ifindex))!),
  };
}
