import { test } from "node:test";
import assert from "node:assert/strict";
import { SL_POL_TIER_DEFAULT } from "../datapath/abi/abi.ts";
import { ipv4ToNumber as parseIpv4 } from "../model/ipv4.ts";
import { parseCidr } from "./cidr.ts";
import { evaluatePolicy } from "./evaluate-policy.ts";
import { matchRule } from "./match-rule.ts";
import type { EndpointPolicy, PolicyPacket, RuleMatch } from "./rule-ir.ts";

const pkt = (over: Partial<PolicyPacket> = {}): PolicyPacket => ({
  srcAddr: parseIpv4("10.0.1.5"),
  dstAddr: parseIpv4("10.0.2.9"),
  proto: 6,
  ipVersion: 4,
  hasPorts: true,
  srcPort: 40000,
  dstPort: 80,
  icmpType: 0,
  icmpCode: 0,
  ...over,
});
const none = new Map();

const policy: EndpointPolicy = {
  endpoint: "x/a",
  direction: "ingress",
  defaultAction: "allow",
  defaultRuleId: 1,
  tiers: [
    {
      name: "security",
      endOfTierRuleId: 10,
      policies: [
        { name: "log-all", rules: [{ id: 11, action: "log", match: {} }] },
        {
          name: "pass-pods",
          rules: [
            { id: 12, action: "pass", match: { srcNets: ["10.0.0.0/16"] } },
            { id: 13, action: "deny", match: { protocol: 17 } },
          ],
        },
      ],
    },
    { name: "empty", endOfTierRuleId: 20, policies: [] },
    {
      name: "app",
      endOfTierRuleId: 30,
      policies: [
        { name: "web", rules: [{ id: 31, action: "allow", match: { dstPorts: [{ first: 80, last: 80 }] } }] },
        { name: "no-rules", rules: [] },
      ],
    },
    {
      name: "last",
      endOfTierRuleId: 40,
      policies: [{ name: "pass-rest", rules: [{ id: 41, action: "pass", match: {} }] }],
    },
  ],
};

test("evaluatePolicy(): Pass skips the rest of its tier and empty tiers; the first Allow decides; Log goes on", () => {
  const d = evaluatePolicy(policy, pkt(), none, { trace: true });
  assert.deepEqual(
    [d.verdict, d.ruleId, d.tier, d.policy, d.decidedBy, d.logged],
    ["allow", 31, 2, 0, "rule", [11]],
  );
  assert.deepEqual(d.trace, [
    { tier: 0, policy: 0, ruleId: 11, result: "logged" },
    { tier: 0, policy: 1, ruleId: 12, result: "passed" },
  ]);
});

test("evaluatePolicy(): a tier whose policies do not match ends in its deny; a policy without rules matches nothing", () => {
  const d = evaluatePolicy(policy, pkt({ dstPort: 81 }), none, { trace: true });
  assert.deepEqual([d.verdict, d.ruleId, d.tier, d.decidedBy], ["deny", 30, 2, "end-of-tier"]);
  assert.deepEqual(d.trace.at(-1), {
    tier: 2,
    policy: 0,
    ruleId: 31,
    result: "no-match",
    criterion: "dstPorts",
  });
});

test("evaluatePolicy(): a Deny before the Pass decides in the first tier; Pass from the last tier reaches the default", () => {
  const udp = evaluatePolicy(policy, pkt({ srcAddr: parseIpv4("192.168.1.1"), proto: 17 }), none);
  assert.deepEqual([udp.verdict, udp.ruleId, udp.tier], ["deny", 13, 0]);
  const onlyLast: EndpointPolicy = { ...policy, defaultAction: "deny", tiers: [policy.tiers[3]!] };
  const d = evaluatePolicy(onlyLast, pkt(), none);
  assert.deepEqual([d.verdict, d.ruleId, d.tier, d.decidedBy], ["deny", 1, SL_POL_TIER_DEFAULT, "default"]);
  const noTiers = evaluatePolicy({ ...policy, tiers: [] }, pkt(), none);
  assert.deepEqual([noTiers.verdict, noTiers.decidedBy], ["allow", "default"]);
});

test("matchRule(): ports, negated ports and named ports need L4 ports; ICMP criteria need ICMP", () => {
  const m = (match: RuleMatch, p: PolicyPacket, sets = none) => matchRule(match, p, sets);
  assert.equal(m({ dstPorts: [{ first: 1, last: 100 }] }, pkt()), undefined);
  assert.equal(m({ dstPorts: [{ first: 1, last: 100 }] }, pkt({ hasPorts: false })), "dstPorts");
  assert.equal(m({ notDstPorts: [{ first: 443, last: 443 }] }, pkt()), undefined);
  assert.equal(
    m({ notDstPorts: [{ first: 443, last: 443 }] }, pkt({ hasPorts: false })),
    "notDstPorts",
    "a packet without ports fails negative port criteria too",
  );
  assert.equal(m({ dstPorts: [] }, pkt()), "dstPorts", "present but empty matches nothing");
  const named = new Map([[5, [{ addr: parseIpv4("10.0.2.9"), prefixLen: 32, port: 80, proto: 6 }]]]);
  assert.equal(m({ dstNamedPortSets: [5] }, pkt(), named), undefined);
  assert.equal(
    m({ dstNamedPortSets: [5] }, pkt({ proto: 17 }), named),
    "dstPorts",
    "a named port is per protocol",
  );
  assert.equal(
    m({ dstPorts: [{ first: 443, last: 443 }], dstNamedPortSets: [5] }, pkt(), named),
    undefined,
    "ranges OR named ports",
  );
  assert.equal(m({ notDstNamedPortSets: [5] }, pkt(), named), "notDstPorts");
  const icmp = pkt({ proto: 1, hasPorts: false, srcPort: 0, dstPort: 0, icmpType: 8, icmpCode: 0 });
  assert.equal(m({ icmp: { type: 8 } }, icmp), undefined);
  assert.equal(m({ icmp: { type: 8, code: 1 } }, icmp), "icmp");
  assert.equal(m({ icmp: { type: 8 } }, pkt()), "icmp", "TCP is not ICMP");
  assert.equal(m({ notIcmp: { type: 0 } }, icmp), undefined);
  assert.equal(m({ notIcmp: { type: 8, code: 0 } }, icmp), "notIcmp");
  assert.equal(m({ notIcmp: { type: 0 } }, pkt()), "notIcmp", "notIcmp needs ICMP too");
});

test("matchRule(): nets are any-of, not-nets none-of, sets all-of, not-sets none-of; a plain set lookup ignores named-port members", () => {
  const sets = new Map([
    [1, [{ ...parseCidr("10.0.0.0/16") }]],
    [2, [{ ...parseCidr("10.0.1.0/24") }]],
    [3, [{ addr: parseIpv4("10.0.1.5"), prefixLen: 32, port: 80, proto: 6 }]],
  ]);
  const p = pkt();
  assert.equal(matchRule({ srcNets: ["192.168.0.0/16", "10.0.1.0/30"] }, p, none), "srcNets");
  assert.equal(matchRule({ srcNets: ["192.168.0.0/16", "10.0.1.4/30"] }, p, none), undefined);
  assert.equal(matchRule({ notSrcNets: ["10.0.1.5/32"] }, p, none), "notSrcNets");
  assert.equal(matchRule({ srcSets: [1, 2] }, p, sets), undefined);
  assert.equal(matchRule({ srcSets: [1, 2] }, pkt({ srcAddr: parseIpv4("10.0.7.1") }), sets), "srcSets");
  assert.equal(matchRule({ notSrcSets: [2] }, p, sets), "notSrcSets");
  assert.equal(matchRule({ srcSets: [3] }, p, sets), "srcSets");
  assert.equal(matchRule({ dstSets: [99] }, p, sets), "dstSets", "an unknown set is empty");
});
