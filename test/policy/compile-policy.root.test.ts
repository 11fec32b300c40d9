/**
 * Generated policy programs in the kernel: verdicts, deciding rules, tiers, Pass, Log events,
 * hit counters, the DONE hand-over, and chunking. Needs root to load programs; skips otherwise.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Assembler } from "../../src/bpf/asm/assembler.ts";
import { Reg } from "../../src/bpf/asm/opcodes.ts";
import { Program } from "../../src/bpf/program.ts";
import { ProgramType } from "../../src/bpf/program-type.ts";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import {
  SL_EVENT_POLICY_LOG,
  SL_POL_SLOT_DONE,
  SL_POL_SLOT_FIRST,
  SL_POL_TIER_DEFAULT,
  SlPolVerdict,
  decodeSlPolLogEvent,
  SlPolicyStateLayout,
} from "../../src/datapath/abi/abi.ts";
import { ipv4ToNumber as parseIpv4 } from "../../src/model/ipv4.ts";
import { compilePolicy } from "../../src/policy/compile-policy.ts";
import { evaluatePolicy } from "../../src/policy/evaluate-policy.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import type { EndpointPolicy, PolicyPacket } from "../../src/policy/rule-ir.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { PolicyHarness } from "./policy-harness.ts";

let h: PolicyHarness | undefined;
before(() => {
  if (isRoot) h = new PolicyHarness();
});
after(() => h?.close());

const ALLOW = SlPolVerdict.SL_POL_ALLOW;
const DENY = SlPolVerdict.SL_POL_DENY;

const tcp = (src: string, dst: string, dport: number): PolicyPacket => ({
  srcAddr: parseIpv4(src),
  dstAddr: parseIpv4(dst),
  proto: 6,
  ipVersion: 4,
  hasPorts: true,
  srcPort: 40000,
  dstPort: dport,
  icmpType: 0,
  icmpCode: 0,
});

const tiered: EndpointPolicy = {
  endpoint: "x/a",
  direction: "ingress",
  defaultAction: "allow",
  defaultRuleId: 1,
  tiers: [
    {
      name: "security",
      endOfTierRuleId: 10,
      policies: [
        {
          name: "gnp-log",
          rules: [
            { id: 11, action: "log", match: { protocol: 6, dstPorts: [{ first: 22, last: 22 }] } },
            { id: 12, action: "deny", match: { srcNets: ["198.18.66.0/24"] } },
            { id: 13, action: "pass", match: {} },
          ],
        },
      ],
    },
    { name: "empty", endOfTierRuleId: 20, policies: [] },
    {
      name: "default",
      endOfTierRuleId: 30,
      policies: [
        {
          name: "x/allow-web",
          rules: [
            {
              id: 31,
              action: "allow",
              match: { protocol: 6, dstPorts: [{ first: 80, last: 81 }], srcSets: [7] },
            },
          ],
        },
      ],
    },
  ],
};

test(
  "a tiered policy: Log goes on, Deny by CIDR, Pass to the next tier, Allow by IP set, end-of-tier deny",
  requireRoot,
  () => {
    const loaded = h!.load(compilePolicy(tiered, { slotBase: SL_POL_SLOT_FIRST }));
    try {
      const sets = new Map([[7, [{ addr: parseIpv4("198.18.1.0"), prefixLen: 24 }]]]);
      h!.setIpSets(sets);
      const cases: [PolicyPacket, number, number, number, number][] = [
        // packet, retval (no DONE program: OK/SHOT), verdict, rule, tier
        [tcp("198.18.66.5", "198.18.1.9", 80), 2, DENY, 12, 0],
        [tcp("198.18.1.5", "198.18.1.9", 80), 0, ALLOW, 31, 2],
        [tcp("198.18.1.5", "198.18.1.9", 82), 2, DENY, 30, 2],
        [tcp("198.18.2.5", "198.18.1.9", 80), 2, DENY, 30, 2],
        [tcp("198.18.1.5", "198.18.1.9", 22), 2, DENY, 30, 2],
      ];
      for (const [packet, retval, verdict, rule, tier] of cases) {
        const got = h!.run(loaded, packet);
        assert.deepEqual(got, { retval, verdict, ruleId: rule, tier }, JSON.stringify(packet));
        const want = evaluatePolicy(tiered, packet, sets);
        assert.equal(want.ruleId, rule, "the reference evaluator agrees");
      }
    } finally {
      h!.unload(loaded);
    }
  },
);

test(
  "a policy with no tiers takes the default action; a deny default returns TC_ACT_SHOT",
  requireRoot,
  () => {
    for (const defaultAction of ["allow", "deny"] as const) {
      const loaded = h!.load(
        compilePolicy(
          { endpoint: "x/b", direction: "egress", tiers: [], defaultAction, defaultRuleId: 4 },
          { slotBase: SL_POL_SLOT_FIRST },
        ),
      );
      try {
        const got = h!.run(loaded, tcp("198.18.1.1", "198.18.1.2", 80));
        assert.deepEqual(got, {
          retval: defaultAction === "allow" ? 0 : 2,
          verdict: defaultAction === "allow" ? ALLOW : DENY,
          ruleId: 4,
          tier: SL_POL_TIER_DEFAULT,
        });
      } finally {
        h!.unload(loaded);
      }
    }
  },
);

test(
  "the deciding rule is counted in sl_pol_hits and Log rules emit their event with the tuple",
  requireRoot,
  async () => {
    const loaded = h!.load(compilePolicy(tiered, { slotBase: SL_POL_SLOT_FIRST }));
    const reader = new RingBufReader(h!.map(PolicyMapName.events));
    const events: Uint8Array[] = [];
    reader.onRecord((r) => events.push(r.slice()));
    try {
      h!.setIpSets(new Map([[7, [{ addr: parseIpv4("198.18.1.5"), prefixLen: 32 }]]]));
      h!.resetHits([11, 12, 30, 31]);
      h!.run(loaded, tcp("198.18.1.5", "198.18.1.9", 22));
      h!.run(loaded, tcp("198.18.1.5", "198.18.1.9", 80));
      h!.run(loaded, tcp("198.18.1.5", "198.18.1.9", 81));
      assert.equal(h!.hits(11), 1n, "Log rule counted once");
      assert.equal(h!.hits(30), 1n, "end-of-tier deny once");
      assert.equal(h!.hits(31), 2n, "allow twice");
      assert.equal(h!.hits(12), 0n);
      for (let i = 0; i < 50 && events.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(events.length, 1, "one Log event");
      const ev = decodeSlPolLogEvent(events[0]!);
      assert.equal(ev.hdr.type, SL_EVENT_POLICY_LOG);
      assert.equal(ev.ruleId, 11);
      assert.equal(ev.tier, 0);
      assert.deepEqual(
        [ev.srcAddr, ev.dstAddr, ev.srcPort, ev.dstPort, ev.proto, ev.ipVersion],
        [parseIpv4("198.18.1.5"), parseIpv4("198.18.1.9"), 40000, 22, 6, 4],
      );
      assert.ok(ev.hdr.tsNs > 0n);
    } finally {
      reader.close();
      h!.unload(loaded);
    }
  },
);

test("the program hands over to SL_POL_SLOT_DONE when a program sits there", requireRoot, () => {
  // A DONE program that returns 100 + the verdict it finds in the state.
  const a = new Assembler();
  const { R0, R1, R2, R10 } = Reg;
  const verdictOff = SlPolicyStateLayout.fields.find((f) => f.name === "verdict")!.offset;
  a.st("w", R10, -4, 0)
    .mov64Reg(R2, R10)
    .alu64Imm("add", R2, -4)
    .ldMap(R1, PolicyMapName.state)
    .call("map_lookup_elem");
  a.jmpImm("jeq", R0, 0, "out")
    .ldx("w", R0, R0, verdictOff)
    .alu64Imm("add", R0, 100)
    .exit()
    .label("out")
    .mov64Imm(R0, 0)
    .exit();
  const done = Program.load(
    a.toProgramSpec({ name: "sl_pol_done_t", type: ProgramType.SchedCls, license: "GPL" }),
    { mapFds: new Map([[PolicyMapName.state, h!.map(PolicyMapName.state).fd]]) },
  );
  const loaded = h!.load(compilePolicy(tiered, { slotBase: SL_POL_SLOT_FIRST }));
  try {
    h!.installProgram(SL_POL_SLOT_DONE, done);
    h!.setIpSets(new Map());
    assert.equal(h!.run(loaded, tcp("198.18.66.5", "198.18.1.9", 80)).retval, 100 + DENY);
    assert.equal(h!.run(loaded, tcp("198.18.77.5", "198.18.1.9", 80)).retval, 100 + DENY);
  } finally {
    h!.map(PolicyMapName.jump).delete(new Uint8Array(4));
    h!.unload(loaded);
    done.close();
  }
});
