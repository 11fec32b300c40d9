import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { SL_POL_SLOT_FIRST } from "../datapath/abi/abi.ts";
import { compilePolicy } from "./compile-policy.ts";
import { policyListing } from "./policy-listing.ts";
import type { EndpointPolicy } from "./rule-ir.ts";

// Small policies whose programs are read by a person once and then pinned as golden listings.
const GOLDEN: Record<string, EndpointPolicy> = {
  "default-allow": {
    endpoint: "x/a",
    direction: "ingress",
    tiers: [],
    defaultAction: "allow",
    defaultRuleId: 1,
  },
  "k8s-allow-web": {
    endpoint: "x/a",
    direction: "ingress",
    defaultAction: "allow",
    defaultRuleId: 1,
    tiers: [
      {
        name: "default",
        endOfTierRuleId: 2,
        policies: [
          {
            name: "x/allow-web",
            rules: [
              {
                id: 10,
                action: "allow",
                match: { protocol: 6, dstPorts: [{ first: 80, last: 81 }], srcSets: [7] },
              },
              {
                id: 11,
                action: "allow",
                match: {
                  protocol: 17,
                  dstPorts: [
                    { first: 53, last: 53 },
                    { first: 5353, last: 5353 },
                  ],
                  srcNets: ["198.18.0.0/15"],
                  notSrcNets: ["198.18.66.0/24"],
                },
              },
            ],
          },
        ],
      },
    ],
  },
  "tiers-pass-log": {
    endpoint: "host-eth0",
    direction: "egress",
    defaultAction: "deny",
    defaultRuleId: 1,
    tiers: [
      {
        name: "security",
        endOfTierRuleId: 20,
        policies: [
          {
            name: "log-ssh",
            rules: [
              { id: 21, action: "log", match: { protocol: 6, dstPorts: [{ first: 22, last: 22 }] } },
              { id: 22, action: "deny", match: { icmp: { type: 8, code: 0 } } },
              { id: 23, action: "pass", match: {} },
            ],
          },
        ],
      },
      {
        name: "default",
        endOfTierRuleId: 30,
        policies: [
          {
            name: "named-port",
            rules: [{ id: 31, action: "allow", match: { dstNamedPortSets: [9], notDstSets: [8] } }],
          },
        ],
      },
    ],
  },
};

// doNotTrack ingress of a host endpoint, compiled for XDP: a deny and an allow, a passing tier end.
const GOLDEN_XDP: Record<string, EndpointPolicy> = {
  "xdp-untracked": {
    endpoint: "host-eth0",
    direction: "ingress",
    defaultAction: "allow",
    defaultRuleId: 1,
    tiers: [
      {
        name: "default",
        endOfTierRuleId: 2,
        policies: [
          {
            name: "dnt",
            rules: [
              { id: 40, action: "deny", match: { protocol: 17, srcNets: ["198.18.9.0/24"] } },
              { id: 41, action: "allow", match: { protocol: 6, dstPorts: [{ first: 8080, last: 8080 }] } },
              { id: 42, action: "pass", match: {} },
            ],
          },
        ],
      },
    ],
  },
};

const goldens = [
  ...Object.entries(GOLDEN).map(([name, policy]) => ({ name, policy, target: "tc" as const })),
  ...Object.entries(GOLDEN_XDP).map(([name, policy]) => ({ name, policy, target: "xdp" as const })),
];

for (const { name, policy, target } of goldens) {
  test(`compilePolicy() matches the golden listing testdata/${name}.asm (UPDATE_GOLDEN=1 rewrites it)`, () => {
    const file = new URL(`./testdata/${name}.asm`, import.meta.url);
    const text = policyListing(compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST, target }));
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, text);
    assert.equal(text, readFileSync(file, "utf8"));
  });
}

test("compilePolicy() with target xdp emits XDP programs that tail-call through sl_pol_jump_xdp and return XDP verdicts", () => {
  const policy = GOLDEN_XDP["xdp-untracked"]!;
  const tc = compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST });
  const xdp = compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST, target: "xdp" });
  const spec = xdp.chunks[0]!.spec;
  assert.deepEqual([spec.name, spec.section, spec.type, spec.attachType], ["sl_pol_xin0", "xdp", 6, 37]);
  assert.deepEqual([...new Set(spec.mapRelocations.map((r) => r.map))].sort(), [
    "sl_pol_hits",
    "sl_pol_jump_xdp",
    "sl_pol_state",
  ]);
  assert.ok(tc.chunks[0]!.spec.mapRelocations.some((r) => r.map === "sl_pol_jump"));
  // Same evaluation, same length: only the prog array and the two verdict immediates differ.
  assert.equal(spec.instructions.length, tc.chunks[0]!.spec.instructions.length);
  const listing = policyListing(xdp);
  assert.match(listing, /r0 = 1\n/, "XDP_DROP");
  assert.match(listing, /r0 = 2\n/, "XDP_PASS");
});

test("compilePolicy() splits a big policy into chunks in consecutive slots, each within the budget", () => {
  const rules = Array.from({ length: 300 }, (_, i) => ({
    id: 100 + i,
    action: "allow" as const,
    match: { protocol: 6, dstPorts: [{ first: 1000 + i, last: 1000 + i }] },
  }));
  const policy: EndpointPolicy = {
    endpoint: "x/big",
    direction: "ingress",
    defaultAction: "deny",
    defaultRuleId: 1,
    tiers: [{ name: "t", endOfTierRuleId: 2, policies: [{ name: "p", rules }] }],
  };
  const c = compilePolicy(policy, { slotBase: 40, maxChunkInsns: 500 });
  assert.ok(c.chunks.length >= 3, `${c.chunks.length} chunks`);
  c.chunks.forEach((ch, i) => {
    assert.equal(ch.slot, 40 + i);
    assert.equal(ch.spec.name, `sl_pol_in${i}`);
    assert.ok(
      ch.spec.instructions.length / 8 < 500 + 60,
      `chunk ${i}: ${ch.spec.instructions.length / 8} instructions`,
    );
  });
  const listing = policyListing(c);
  assert.match(listing, /r3 = 41\n.*call tail_call/, "chunk 0 hands over to slot 41");
  assert.equal(
    compilePolicy(policy, { slotBase: 40 }).chunks.length,
    1,
    "the default budget keeps it in one program",
  );
});

test("compilePolicy() rejects rule ids beyond sl_pol_hits and policies needing more chunks than tail calls allow", () => {
  const policy = (id: number): EndpointPolicy => ({
    endpoint: "x/a",
    direction: "egress",
    defaultAction: "allow",
    defaultRuleId: id,
    tiers: [],
  });
  assert.throws(
    () => compilePolicy(policy(65536), { slotBase: 1 }),
    /validate policy "x\/a" egress: defaultRuleId: rule id "65536" is not in 0..65534 \(65535 counts lost Log events\)/,
  );
  assert.throws(() => compilePolicy(policy(-1), { slotBase: 1 }), /rule id "-1"/);
  const rules = Array.from({ length: 200 }, (_, i) => ({
    id: 100 + i,
    action: "allow" as const,
    match: { protocol: 6 },
  }));
  const big: EndpointPolicy = {
    ...policy(1),
    tiers: [{ name: "t", endOfTierRuleId: 2, policies: [{ name: "p", rules }] }],
  };
  assert.throws(
    () => compilePolicy(big, { slotBase: 1, maxChunkInsns: 10 }),
    /needs \d+ chunks, at most 15 fit the tail-call limit/,
  );
});

test("compilePolicy() leaves out rules that can never match and code after an unconditional decision", () => {
  const policy: EndpointPolicy = {
    endpoint: "x/a",
    direction: "ingress",
    defaultAction: "allow",
    defaultRuleId: 1,
    tiers: [
      {
        name: "t",
        endOfTierRuleId: 2,
        policies: [
          {
            name: "p",
            rules: [
              { id: 10, action: "deny", match: { srcNets: [] } },
              { id: 11, action: "deny", match: { notDstNets: ["0.0.0.0/0"] } },
              { id: 12, action: "allow", match: { srcNets: ["0.0.0.0/0"] } },
              { id: 13, action: "deny", match: { protocol: 6 } },
            ],
          },
        ],
      },
    ],
  };
  const listing = policyListing(compilePolicy(policy, { slotBase: 1 }));
  // A decision stores its rule id into sl_policy_state.rule_id (offset 28).
  assert.doesNotMatch(listing, /\(r7 \+ 28\) = 1[013]\n/, "rules 10, 11 and 13 are not in the program");
  assert.match(listing, /\(r7 \+ 28\) = 12\n/, "rule 12 allows everything");
  assert.doesNotMatch(
    listing,
    /\(r7 \+ 28\) = 2\n/,
    "the end-of-tier deny is unreachable after an allow-all",
  );
});

test("compilePolicy() validates the IR and names the field that is wrong", () => {
  const withMatch = (match: object): EndpointPolicy => ({
    endpoint: "x/a",
    direction: "ingress",
    defaultAction: "allow",
    defaultRuleId: 1,
    tiers: [
      {
        name: "t",
        endOfTierRuleId: 2,
        policies: [{ name: "p", rules: [{ id: 3, action: "allow", match }] }],
      },
    ],
  });
  const at = "tiers[0].policies[0].rules[0]";
  const cases: [object, string][] = [
    [{ dstPorts: [{ first: 90, last: 80 }] }, `${at}.dstPorts[0]: first "90" is above last "80"`],
    [{ notSrcPorts: [{ first: 1, last: 70000 }] }, `${at}.notSrcPorts[0]: "1-70000" is not within 0..65535`],
    [{ protocol: 256 }, `${at}.protocol: "256" is not an IP protocol number (0..255)`],
    [{ srcNets: ["10.0.0.0/33"] }, `${at}.srcNets[0]: parse cidr: "10.0.0.0/33" has no valid prefix length`],
    [{ dstSets: [-1] }, `${at}.dstSets[0]: set id "-1" is not a 32-bit unsigned integer`],
    [{ icmp: { type: 8, code: 300 } }, `${at}.icmp.code: "300" is not 0..255`],
  ];
  for (const [match, message] of cases) {
    assert.throws(() => compilePolicy(withMatch(match), { slotBase: 1 }), {
      message: `validate policy "x/a" ingress: ${message}`,
    });
  }
});

test("compilePolicy() refuses a single rule too big for one program, and says what to do", () => {
  const nets = Array.from({ length: 7000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
  const policy: EndpointPolicy = {
    endpoint: "x/a",
    direction: "ingress",
    defaultAction: "allow",
    defaultRuleId: 1,
    tiers: [
      {
        name: "t",
        endOfTierRuleId: 2,
        policies: [{ name: "p", rules: [{ id: 3, action: "allow", match: { srcNets: nets } }] }],
      },
    ],
  };
  assert.throws(
    () => compilePolicy(policy, { slotBase: 1 }),
    /compile policy "x\/a" ingress: rule id "3" needs \d+ instructions and 700\d jumps, more than one program holds \(24000 \/ 6000\); put long CIDR lists in an IP set/,
  );
});
