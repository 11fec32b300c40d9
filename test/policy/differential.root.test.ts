/**
 * The differential test: random policy sets (tiers, policies, rules with every criterion and
 * action) and random IP-set contents, compiled and loaded into the kernel, and random packets
 * run through the real programs under BPF_PROG_TEST_RUN; the verdict, the deciding rule and the
 * tier must equal the reference evaluator's on every packet, and so must the hit counters and
 * the Log events. A mutation check shows the comparison can fail: the same packets through
 * programs with one comparison flipped must disagree. Needs root; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import { SL_POL_SLOT_FIRST, SlPolVerdict, decodeSlPolLogEvent } from "../../src/datapath/abi/abi.ts";
import { compilePolicy, type CompiledPolicy } from "../../src/policy/compile-policy.ts";
import { evaluatePolicy } from "../../src/policy/evaluate-policy.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import type { EndpointPolicy, PolicyPacket } from "../../src/policy/rule-ir.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { PolicyHarness } from "./policy-harness.ts";
import { Rng, randomPacket, randomPolicy, randomSets } from "./random-policy.ts";

const POLICY_SETS = 250;
const PACKETS_PER_SET = 420;

let h: PolicyHarness | undefined;
before(() => {
  if (isRoot) h = new PolicyHarness();
});
after(() => h?.close());

const verdictOf = (v: "allow" | "deny"): number =>
  v === "allow" ? SlPolVerdict.SL_POL_ALLOW : SlPolVerdict.SL_POL_DENY;

interface Disagreement {
  readonly set: number;
  readonly packet: PolicyPacket;
  readonly want: string;
  readonly got: string;
}

/** runSet runs packets through one compiled policy and returns the disagreements with the evaluator. */
function runSet(
  policy: EndpointPolicy,
  compiled: CompiledPolicy,
  r: Rng,
  set: number,
  checkCounters: boolean,
  events?: Map<number, number>,
): Disagreement[] {
  const sets = randomSets(r);
  h!.setIpSets(sets);
  const loaded = h!.load(compiled);
  const out: Disagreement[] = [];
  const expectHits = new Map<number, number>();
  const bump = (id: number): void => void expectHits.set(id, (expectHits.get(id) ?? 0) + 1);
  try {
    for (let i = 0; i < PACKETS_PER_SET; i++) {
      const packet = randomPacket(r);
      const want = evaluatePolicy(policy, packet, sets);
      const got = h!.run(loaded, packet);
      const wantText = `${want.verdict} rule ${want.ruleId} tier ${want.tier} ret ${want.verdict === "allow" ? 0 : 2}`;
      const gotText = `${got.verdict === SlPolVerdict.SL_POL_ALLOW ? "allow" : got.verdict === SlPolVerdict.SL_POL_DENY ? "deny" : got.verdict} rule ${got.ruleId} tier ${got.tier} ret ${got.retval}`;
      if (
        got.verdict !== verdictOf(want.verdict) ||
        got.ruleId !== want.ruleId ||
        got.tier !== want.tier ||
        got.retval !== (want.verdict === "allow" ? 0 : 2)
      ) {
        out.push({ set, packet, want: wantText, got: gotText });
      }
      bump(want.ruleId);
      for (const id of want.logged) {
        bump(id);
        events?.set(id, (events.get(id) ?? 0) + 1);
      }
    }
    if (checkCounters) {
      for (const [id, n] of expectHits)
        assert.equal(h!.hits(id), BigInt(n), `set ${set}: sl_pol_hits[${id}]`);
    }
  } finally {
    h!.unload(loaded);
  }
  return out;
}

test(
  `${POLICY_SETS} random policy sets × ${PACKETS_PER_SET} packets: programs and the reference evaluator agree on verdict, rule, tier, counters and Log events`,
  requireRoot,
  () => {
    const r = new Rng(0x5eed);
    let nextId = 1000;
    const reader = new RingBufReader(h!.map(PolicyMapName.events));
    const gotEvents = new Map<number, number>();
    reader.onRecord((rec) => {
      const ev = decodeSlPolLogEvent(rec);
      gotEvents.set(ev.ruleId, (gotEvents.get(ev.ruleId) ?? 0) + 1);
    });
    const wantEvents = new Map<number, number>();
    const disagreements: Disagreement[] = [];
    let chunked = 0;
    let packets = 0;
    const decidedBy = new Map<string, number>();
    try {
      for (let s = 0; s < POLICY_SETS; s++) {
        const policy = randomPolicy(r, () => nextId++, `rand/${s}`);
        // Every fourth set is cut into small chunks so chunk hand-over is exercised too.
        const compiled = compilePolicy(
          policy,
          s % 4 === 3 ? { slotBase: SL_POL_SLOT_FIRST, maxChunkInsns: 160 } : { slotBase: SL_POL_SLOT_FIRST },
        );
        if (compiled.chunks.length > 1) chunked++;
        disagreements.push(...runSet(policy, compiled, r, s, true, wantEvents));
        reader.poll();
        packets += PACKETS_PER_SET;
        for (let i = 0; i < 3; i++) {
          const p = randomPacket(r);
          const d = evaluatePolicy(policy, p, new Map()).decidedBy;
          decidedBy.set(d, (decidedBy.get(d) ?? 0) + 1);
        }
      }
      reader.poll();
    } finally {
      reader.close();
    }
    assert.ok(packets >= 100_000 && POLICY_SETS >= 200);
    assert.ok(chunked >= POLICY_SETS / 8, `chunked programs exercised (${chunked})`);
    assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} disagreements`);
    assert.deepEqual(new Map([...gotEvents].sort()), new Map([...wantEvents].sort()), "Log events per rule");
    assert.ok(wantEvents.size > 50, `Log rules fired (${wantEvents.size})`);
    for (const by of ["rule", "end-of-tier", "default"])
      assert.ok((decidedBy.get(by) ?? 0) > 0, `some packets decided by ${by}`);
  },
);

// Make the upper bound of every port range exclusive — 32-bit "jle imm" becomes "jlt", "jgt imm"
// becomes "jge" — an off-by-one a generator could plausibly have. The same harness must then see
// disagreements.
function mutate(compiled: CompiledPolicy): { compiled: CompiledPolicy; flips: number } {
  let flips = 0;
  const chunks = compiled.chunks.map((c) => {
    const insns = new Uint8Array(c.spec.instructions);
    for (let i = 0; i < insns.length; i += 8) {
      const flipped = insns[i] === 0xb6 ? 0xa6 : insns[i] === 0x26 ? 0x36 : undefined;
      if (flipped !== undefined) {
        insns[i] = flipped;
        flips++;
      }
    }
    return { ...c, spec: { ...c.spec, instructions: insns } };
  });
  return { compiled: { chunks }, flips };
}

test("mutation check: programs with one comparison flipped disagree with the evaluator", requireRoot, () => {
  const r = new Rng(0xbad);
  let nextId = 40000;
  let disagreements = 0;
  let flips = 0;
  for (let s = 0; s < 40; s++) {
    const policy = randomPolicy(r, () => nextId++, `mut/${s}`);
    const m = mutate(compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST }));
    flips += m.flips;
    disagreements += runSet(policy, m.compiled, r, s, false).length;
  }
  assert.ok(flips > 0, "the mutation changed some programs");
  assert.ok(
    disagreements > 0,
    `a flipped comparison must be caught (flips ${flips}, disagreements ${disagreements})`,
  );
});
