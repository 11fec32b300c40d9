import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PolicyCalculator } from "../calc/policy/index.ts";
import type { Resource } from "../model/resource.ts";
import { cnp, gnp, hostEndpoint, knp, namespace, pod, tier } from "../../test/support/policy-resources.ts";
import { endpointPolicyIr, ipSetContents } from "./endpoint-policy-ir.ts";
import { evaluatePolicy } from "./evaluate-policy.ts";
import { validatePolicy } from "./validate-policy.ts";
import { RuleIdAllocator, ruleLabel, type PolicyHook } from "./rule-ids.ts";
import type { PolicyPacket } from "./rule-ir.ts";

function ip(text: string): number {
  return text.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}

function packet(src: string, dst: string, port: number, proto = 6): PolicyPacket {
  const l4 = proto === 6 || proto === 17 || proto === 132;
  return {
    srcAddr: ip(src),
    dstAddr: ip(dst),
    proto,
    ipVersion: 4,
    hasPorts: l4,
    srcPort: l4 ? 40000 : 0,
    dstPort: l4 ? port : 0,
    icmpType: l4 ? 0 : 8,
    icmpCode: 0,
  };
}

function setup(resources: Resource[]): { calc: PolicyCalculator; ids: RuleIdAllocator } {
  const calc = new PolicyCalculator();
  for (const r of resources) calc.upsert(r);
  return { calc, ids: new RuleIdAllocator() };
}

/** decide returns the verdict and the deciding rule's flow-log label. */
function decide(
  env: { calc: PolicyCalculator; ids: RuleIdAllocator },
  key: string,
  hook: PolicyHook,
  p: PolicyPacket,
): string {
  const ir = endpointPolicyIr(env.calc, key, hook, env.ids);
  if (ir === undefined) return "no-program";
  validatePolicy(ir); // compilePolicy's own gate: every IR built here is compilable
  const d = evaluatePolicy(ir, p, ipSetContents(env.calc.index));
  return `${d.verdict} ${ruleLabel(env.ids.info(d.ruleId)!)}`;
}

const A = "198.19.0.1";
const B = "198.19.0.2";
const C = "198.19.1.3";
const base = (): Resource[] => [
  namespace("x"),
  namespace("y", { team: "blue" }),
  pod("x", "a", A, { pod: "a" }, { ports: [{ name: "serve-80-tcp", containerPort: 80 }] }),
  pod("x", "b", B, { pod: "b" }),
  pod("y", "c", C, { pod: "c" }),
];

describe("endpointPolicyIr (Kubernetes NetworkPolicy)", () => {
  test("a pod no policy selects has no program; once selected, default deny at the end of the default tier", () => {
    const env = setup(base());
    assert.equal(decide(env, "pod/x/a", "ingress", packet(B, A, 80)), "no-program");
    env.calc.upsert(knp("x", "deny-all", { podSelector: {} }));
    assert.equal(decide(env, "pod/x/a", "ingress", packet(B, A, 80)), "deny default|end-of-tier|deny|-1");
    // policyTypes defaults to Ingress only: egress stays without a program.
    assert.equal(decide(env, "pod/x/a", "egress", packet(A, B, 80)), "no-program");
  });

  test("allow by pod label in the policy's namespace, by namespace, and both together", () => {
    const env = setup([
      ...base(),
      pod("y", "b", "198.19.1.2", { pod: "b" }),
      knp("x", "from-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { pod: "b" } } }] },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: "blue" } },
                podSelector: { matchLabels: { pod: "c" } },
              },
            ],
          },
        ],
      }),
    ]);
    assert.equal(
      decide(env, "pod/x/a", "ingress", packet(B, A, 80)),
      "allow default|x/knp.default.from-b|allow|0",
    );
    // b in y has the label but is in another namespace.
    assert.equal(
      decide(env, "pod/x/a", "ingress", packet("198.19.1.2", A, 80)),
      "deny default|end-of-tier|deny|-1",
    );
    assert.equal(
      decide(env, "pod/x/a", "ingress", packet(C, A, 80)),
      "allow default|x/knp.default.from-b|allow|1",
    );
  });

  test("ipBlock with except, port ranges with endPort, named ports, empty from = allow all", () => {
    const env = setup([
      ...base(),
      knp("x", "rules", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [{ ipBlock: { cidr: "198.19.0.0/16", except: ["198.19.1.0/24"] } }],
            ports: [{ port: 81 }],
          },
          { ports: [{ port: 1000, endPort: 1010, protocol: "UDP" }] },
          { ports: [{ port: "serve-80-tcp" }] },
        ],
        egress: [{}],
      }),
    ]);
    const label = (i: number) => `allow default|x/knp.default.rules|allow|${i}`;
    assert.equal(decide(env, "pod/x/a", "ingress", packet(B, A, 81)), label(0));
    assert.equal(decide(env, "pod/x/a", "ingress", packet(C, A, 81)), "deny default|end-of-tier|deny|-1");
    assert.equal(decide(env, "pod/x/a", "ingress", packet(C, A, 1005, 17)), label(1));
    assert.equal(
      decide(env, "pod/x/a", "ingress", packet(C, A, 1011, 17)),
      "deny default|end-of-tier|deny|-1",
    );
    assert.equal(
      decide(env, "pod/x/a", "ingress", packet(C, A, 1005, 6)),
      "deny default|end-of-tier|deny|-1",
    );
    assert.equal(decide(env, "pod/x/a", "ingress", packet(C, A, 80)), label(2));
    assert.equal(decide(env, "pod/x/a", "egress", packet(A, "203.0.113.9", 443)), label(0));
  });

  test("an Egress-only policy with no egress rules denies all egress and leaves ingress open", () => {
    const env = setup([...base(), knp("x", "no-out", { podSelector: {}, policyTypes: ["Egress"] })]);
    assert.equal(decide(env, "pod/x/a", "egress", packet(A, B, 80)), "deny default|end-of-tier|deny|-1");
    assert.equal(decide(env, "pod/x/a", "ingress", packet(B, A, 80)), "no-program");
  });
});

describe("endpointPolicyIr (Calico tiers)", () => {
  test("Pass goes to the next tier; a Pass tier's end passes; an earlier tier's end-of-tier deny overrides a later namespaced allow", () => {
    const env = setup([
      ...base(),
      tier("security", 100),
      tier("platform", 200, "Pass"),
      gnp("security.pass-b", {
        tier: "security",
        order: 1,
        selector: "all()",
        ingress: [{ action: "Pass", source: { selector: "pod == 'b'" } }],
      }),
      gnp("platform.deny-c", {
        tier: "platform",
        order: 1,
        selector: "all()",
        ingress: [{ action: "Deny", source: { selector: "pod == 'c'" } }],
      }),
      cnp("x", "allow-all", { order: 10, selector: "all()", ingress: [{ action: "Allow" }] }),
    ]);
    // b: passed by security, platform ends in pass, default-tier allow decides.
    assert.equal(decide(env, "pod/x/a", "ingress", packet(B, A, 80)), "allow default|x/allow-all|allow|0");
    // c: security's end of tier denies (nothing matched in it).
    assert.equal(decide(env, "pod/x/a", "ingress", packet(C, A, 80)), "deny security|end-of-tier|deny|-1");
  });

  test("host endpoint: no policy denies ingress; preDNAT without policy has no program", () => {
    const env = setup([...base(), hostEndpoint("node-1-eth0", "198.18.0.1", { role: "node" })]);
    assert.equal(
      decide(env, "hep/node-1-eth0", "ingress", packet(B, "198.18.0.1", 22)),
      "deny |default|deny|-1",
    );
    assert.equal(decide(env, "hep/node-1-eth0", "preDnatIngress", packet(B, "198.18.0.1", 22)), "no-program");
    env.calc.upsert(
      gnp("pre", {
        selector: "role == 'node'",
        preDNAT: true,
        applyOnForward: true,
        ingress: [{ action: "Deny", source: { nets: [`${B}/32`] } }],
      }),
    );
    assert.equal(
      decide(env, "hep/node-1-eth0", "preDnatIngress", packet(B, "198.18.0.1", 30080)),
      "deny default|pre|deny|0",
    );
  });

  test("preDNAT decides only what it matches: an unmatched packet passes every tier to the normal policy", () => {
    const env = setup([
      ...base(),
      hostEndpoint("node-1-eth0", "198.18.0.1", { role: "node" }),
      tier("security", 100),
      gnp("security.pre", {
        tier: "security",
        selector: "role == 'node'",
        preDNAT: true,
        applyOnForward: true,
        ingress: [{ action: "Deny", source: { nets: [`${B}/32`] } }],
      }),
      gnp("pre-allow", {
        selector: "role == 'node'",
        preDNAT: true,
        applyOnForward: true,
        ingress: [{ action: "Allow", destination: { ports: [22] }, protocol: "TCP" }],
      }),
    ]);
    assert.equal(
      decide(env, "hep/node-1-eth0", "preDnatIngress", packet(B, "198.18.0.1", 30080)),
      "deny security|security.pre|deny|0",
    );
    // C matches nothing in either tier: no end-of-tier deny, the packet goes on (the hook's allow).
    assert.equal(
      decide(env, "hep/node-1-eth0", "preDnatIngress", packet(C, "198.18.0.1", 30080)),
      "allow |default|allow|-1",
    );
    assert.equal(
      decide(env, "hep/node-1-eth0", "preDnatIngress", packet(C, "198.18.0.1", 22)),
      "allow default|pre-allow|allow|0",
    );
    // The normal ingress hook keeps its end-of-tier and default deny.
    assert.equal(
      decide(env, "hep/node-1-eth0", "ingress", packet(C, "198.18.0.1", 30080)),
      "deny |default|deny|-1",
    );
  });
});

describe("RuleIdAllocator", () => {
  test("ids are stable while a rule does not change, freed when gone, and below the limit", () => {
    const env = setup([...base(), knp("x", "p", { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })]);
    const first = endpointPolicyIr(env.calc, "pod/x/a", "ingress", env.ids)!;
    const again = endpointPolicyIr(env.calc, "pod/x/a", "ingress", env.ids)!;
    assert.deepEqual(again, first);
    const ruleId = first.tiers[0]!.policies[0]!.rules[0]!.id;
    assert.equal(env.ids.info(ruleId)?.policyId, "knp/x/p");
    // Changing the rule gives it a new id and frees the old one.
    env.calc.upsert(knp("x", "p", { podSelector: {}, ingress: [{ ports: [{ port: 81 }] }] }));
    const changed = endpointPolicyIr(env.calc, "pod/x/a", "ingress", env.ids)!;
    assert.notEqual(changed.tiers[0]!.policies[0]!.rules[0]!.id, ruleId);
    env.calc.deletePolicy("knp/x/p");
    for (const k of ["pod/x/a", "pod/x/b"])
      assert.equal(endpointPolicyIr(env.calc, k, "ingress", env.ids), undefined);
    assert.equal(env.ids.size, 0);
    const info = {
      kind: "default",
      hook: "ingress",
      tier: "",
      policy: "",
      policyId: "",
      ruleIndex: -1,
      action: "allow",
    } as const;
    const small = new RuleIdAllocator(1);
    assert.deepEqual(small.assign("o", [{ key: "k", info }]), [0]);
    assert.throws(() => small.assign("o2", [{ key: "k2", info }]), /rule ids exhausted/);
  });
});
