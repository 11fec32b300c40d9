/**
 * A 10,000-rule policy compiles into tail-called chunks that all pass the verifier and decide
 * like the reference evaluator at the start, the middle, across the tier boundary and at the
 * end. Needs root; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SL_POL_MAX_CHUNKS, SL_POL_SLOT_FIRST, SlPolVerdict } from "../../src/datapath/abi/abi.ts";
import { compilePolicy } from "../../src/policy/compile-policy.ts";
import { evaluatePolicy } from "../../src/policy/evaluate-policy.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { largePolicy, packetFor } from "./large-policy.ts";
import { PolicyHarness } from "./policy-harness.ts";

let h: PolicyHarness | undefined;
before(() => {
  if (isRoot) h = new PolicyHarness();
});
after(() => h?.close());

test(
  "a 10,000-rule policy compiles into chunks that all load, and decides like the evaluator",
  requireRoot,
  () => {
    const policy = largePolicy(10_000);
    const compiled = compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST });
    const insns = compiled.chunks.reduce((n, c) => n + c.spec.instructions.length / 8, 0);
    assert.ok(
      compiled.chunks.length > 1 && compiled.chunks.length <= SL_POL_MAX_CHUNKS,
      `${compiled.chunks.length} chunks, ${insns} instructions`,
    );
    const loaded = h!.load(compiled);
    try {
      h!.setIpSets(new Map());
      for (const k of [0, 1, 2, 4999, 5000, 5001, 7777, 9998, 9999]) {
        const packet = packetFor(k);
        const want = evaluatePolicy(policy, packet, new Map());
        assert.equal(want.ruleId, 100 + k, `rule ${k} decides its own packet`);
        const got = h!.run(loaded, packet);
        assert.deepEqual(
          got,
          { retval: 0, verdict: SlPolVerdict.SL_POL_ALLOW, ruleId: want.ruleId, tier: want.tier },
          `packet for rule ${k}`,
        );
      }
      const stranger = { ...packetFor(3), srcAddr: 0xc0a80101, dstPort: 1 };
      const want = evaluatePolicy(policy, stranger, new Map());
      assert.equal(want.decidedBy, "end-of-tier");
      assert.deepEqual(h!.run(loaded, stranger), {
        retval: 2,
        verdict: SlPolVerdict.SL_POL_DENY,
        ruleId: want.ruleId,
        tier: 1,
      });
    } finally {
      h!.unload(loaded);
    }
  },
);
