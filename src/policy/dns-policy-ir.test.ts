/**
 * DNS policy from resources to verdicts, without a datapath: domain rules become domain sets in
 * the rule IR, and what DNS answers moves addresses in and out of those sets (IP-set entries only,
 * never a program change). The reference evaluator decides on the same IR the programs are built from.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PolicyCalculator } from "../calc/policy/index.ts";
import type { Resource } from "../model/resource.ts";
import { gnp, globalNetworkSet, namespace, pod } from "../../test/support/policy-resources.ts";
import { endpointPolicyIr, ipSetContents } from "./endpoint-policy-ir.ts";
import { evaluatePolicy } from "./evaluate-policy.ts";
import { RuleIdAllocator } from "./rule-ids.ts";
import type { PolicyPacket } from "./rule-ir.ts";
import { validatePolicy } from "./validate-policy.ts";

const ip = (text: string): number => text.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const tcp = (dst: string, port = 443): PolicyPacket => ({
  srcAddr: ip(CLIENT),
  dstAddr: ip(dst),
  proto: 6,
  ipVersion: 4,
  hasPorts: true,
  srcPort: 40000,
  dstPort: port,
  icmpType: 0,
  icmpCode: 0,
});

const CLIENT = "198.19.0.1";
const ALLOWED = "198.18.5.5";
const DENIED = "198.18.5.6";
const CDN = "198.18.8.8";
const KEY = "pod/x/client";

function setup(extra: Resource[]): { calc: PolicyCalculator; ids: RuleIdAllocator } {
  const calc = new PolicyCalculator();
  for (const r of [namespace("x"), pod("x", "client", CLIENT, { app: "client" }), ...extra]) calc.upsert(r);
  return { calc, ids: new RuleIdAllocator() };
}

function verdict(env: { calc: PolicyCalculator; ids: RuleIdAllocator }, dst: string, port = 443): string {
  const ir = endpointPolicyIr(env.calc, KEY, "egress", env.ids);
  if (ir === undefined) return "no-program";
  validatePolicy(ir);
  return evaluatePolicy(ir, tcp(dst, port), ipSetContents(env.calc.index)).verdict;
}

const dnsPolicy = (domains: string[]): Resource =>
  gnp("dns-egress", {
    selector: "app == 'client'",
    types: ["Egress"],
    egress: [{ action: "Allow", protocol: "TCP", destination: { domains, ports: [443] } }],
  });

describe("DNS policy: destination.domains", () => {
  test("an answered name's address is allowed, another name's is not; expiry closes the door", () => {
    const env = setup([dnsPolicy(["allowed.lab.example"])]);
    assert.equal(verdict(env, ALLOWED), "deny", "nothing learned yet: the domain set is empty");
    const learned = env.calc.learnDomainName("allowed.lab.example", [ALLOWED]);
    assert.deepEqual(learned.endpoints, [], "no program is rebuilt for a DNS answer");
    assert.equal(learned.ipSets.added.length, 1);
    assert.equal(learned.ipSets.added[0]!.cidr, `${ALLOWED}/32`);
    const other = env.calc.learnDomainName("denied.lab.example", [DENIED]);
    assert.deepEqual(other.ipSets.added, [], "a name no rule asks for fills no set");
    assert.equal(verdict(env, ALLOWED), "allow");
    assert.equal(verdict(env, ALLOWED, 80), "deny", "the rule's port still applies");
    assert.equal(verdict(env, DENIED), "deny");
    const expired = env.calc.learnDomainName("allowed.lab.example", []);
    assert.equal(expired.ipSets.removed.length, 1);
    assert.equal(verdict(env, ALLOWED), "deny");
  });

  test("a wildcard takes in names answered later; all() never includes DNS-learned addresses", () => {
    const env = setup([
      dnsPolicy(["*.cdn.example"]),
      gnp("all-ingress", {
        selector: "app == 'client'",
        types: ["Ingress"],
        ingress: [{ action: "Allow", source: { selector: "all()" } }],
      }),
    ]);
    env.calc.learnDomainName("edge7.eu.cdn.example", [CDN]);
    assert.equal(verdict(env, CDN), "allow");
    const allSet = env.calc.index.setId({ selector: "all()" });
    assert.ok(allSet !== undefined);
    assert.deepEqual(
      env.calc.index.members({ selector: "all()" }).map((m) => m.cidr),
      [`${CLIENT}/32`],
      "the all() set holds the pod, not what DNS answered",
    );
  });

  test("two rules with the same domains share one set; deleting the policy releases it", () => {
    const env = setup([dnsPolicy(["b.example", "a.example"])]);
    const spec = { selector: "all()", domains: ["a.example", "b.example"] };
    const id = env.calc.index.setId(spec);
    assert.ok(id !== undefined, "the domain list is canonical: sorted");
    env.calc.learnDomainName("a.example", [ALLOWED]);
    const gone = env.calc.remove(dnsPolicy(["b.example", "a.example"]));
    assert.deepEqual(
      gone.ipSets.deletedSets.map((s) => s.id),
      [id],
    );
    assert.deepEqual(
      gone.ipSets.removed.map((m) => m.cidr),
      [`${ALLOWED}/32`],
    );
  });
});

describe("DNS policy: a GlobalNetworkSet's allowedEgressDomains", () => {
  const toSet = gnp("to-cdn", {
    selector: "app == 'client'",
    types: ["Egress"],
    egress: [{ action: "Allow", protocol: "TCP", destination: { selector: "egress == 'cdn'" } }],
  });

  test("an egress Allow rule selecting the set allows its nets and what its domains resolve to", () => {
    const env = setup([
      toSet,
      globalNetworkSet("cdn", ["198.18.7.0/24"], { egress: "cdn" }, ["*.cdn.example"]),
    ]);
    assert.equal(verdict(env, "198.18.7.9"), "allow");
    assert.equal(verdict(env, CDN), "deny");
    const d = env.calc.learnDomainName("x.cdn.example", [CDN]);
    assert.deepEqual(
      d.ipSets.added.map((m) => m.cidr),
      [`${CDN}/32`],
    );
    assert.equal(verdict(env, CDN), "allow");
    // The set drops its domains: the learned address leaves, its nets stay.
    const off = env.calc.upsert(globalNetworkSet("cdn", ["198.18.7.0/24"], { egress: "cdn" }));
    assert.deepEqual(
      off.ipSets.removed.map((m) => m.cidr),
      [`${CDN}/32`],
    );
    assert.equal(verdict(env, CDN), "deny");
    assert.equal(verdict(env, "198.18.7.9"), "allow");
  });

  test("the same selector in an ingress rule does not take in the domains (Calico: egress Allow only)", () => {
    const env = setup([
      gnp("from-cdn", {
        selector: "app == 'client'",
        types: ["Ingress"],
        ingress: [{ action: "Allow", source: { selector: "egress == 'cdn'" } }],
      }),
      globalNetworkSet("cdn", ["198.18.7.0/24"], { egress: "cdn" }, ["*.cdn.example"]),
    ]);
    env.calc.learnDomainName("x.cdn.example", [CDN]);
    assert.deepEqual(
      env.calc.index
        .members({
          selector: env.calc.index.sets().find((s) => s.spec.selector.includes("cdn"))!.spec.selector,
        })
        .map((m) => m.cidr),
      ["198.18.7.0/24"],
    );
  });
});
