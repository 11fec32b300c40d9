import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";

function gnp(spec: Record<string, unknown>, name = "deny-all"): unknown {
  return { apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name }, spec };
}

function cnp(spec: Record<string, unknown>, name = "allow-web"): unknown {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name, namespace: "x" },
    spec,
  };
}

function typesOf(raw: unknown): string[] {
  const r = expectValid(raw);
  if (
    r.kind !== "GlobalNetworkPolicy" &&
    !(r.kind === "NetworkPolicy" && r.apiVersion === "projectcalico.org/v3")
  )
    return assert.fail("wrong kind");
  return r.spec.types;
}

describe("GlobalNetworkPolicy and Calico NetworkPolicy", () => {
  test("accepts every rule field Calico documents", () => {
    const r = expectValid(
      gnp(
        {
          tier: "security",
          order: 10.5,
          selector: "has(app)",
          namespaceSelector: "global()",
          types: ["Ingress", "Egress"],
          ingress: [
            {
              action: "allow",
              protocol: "tcp",
              source: {
                nets: ["10.0.0.0/8"],
                notNets: ["10.1.0.0/16"],
                selector: "app == 'a'",
                notSelector: "has(b)",
                namespaceSelector: "all()",
                serviceAccounts: { names: ["api"], selector: "team == 'x'" },
              },
              destination: { ports: [80, "8000:8080", "serve-80-tcp"], notPorts: ["9000"] },
            },
            { action: "Deny", protocol: "ICMP", icmp: { type: 8, code: 0 }, notICMP: { type: 3 } },
            { action: "Log", protocol: 132 },
            { action: "Pass", notProtocol: "UDPLite", ipVersion: 6, source: { nets: ["fd00::/64"] } },
          ],
          egress: [{ action: "Allow", protocol: "ICMPv6", ipVersion: 6 }],
        },
        "security.deny-all",
      ),
    );
    if (r.kind !== "GlobalNetworkPolicy") return assert.fail("wrong kind");
    assert.equal(r.spec.ingress?.[0]?.action, "Allow");
    assert.equal(r.spec.ingress?.[0]?.protocol, "TCP");
    assert.deepEqual(r.spec.ingress?.[0]?.destination?.ports, [
      { min: 80, max: 80 },
      { min: 8000, max: 8080 },
      { name: "serve-80-tcp" },
    ]);
  });

  test("types default: Ingress unless only egress rules; Egress with egress rules", () => {
    assert.deepEqual(typesOf(gnp({})), ["Ingress"]);
    assert.deepEqual(typesOf(gnp({ egress: [{ action: "Deny" }] })), ["Egress"]);
    assert.deepEqual(typesOf(cnp({ ingress: [{ action: "Allow" }], egress: [{ action: "Deny" }] })), [
      "Ingress",
      "Egress",
    ]);
    assert.deepEqual(typesOf(cnp({ types: ["Egress"] })), ["Egress"]);
  });

  test("the default tier needs no name prefix; a host-endpoint preDNAT policy with applyOnForward is valid", () => {
    expectValid(
      gnp({
        preDNAT: true,
        applyOnForward: true,
        selector: "has(host-endpoint)",
        ingress: [{ action: "Deny", protocol: "TCP", destination: { ports: [30080] } }],
      }),
    );
    expectValid(gnp({ doNotTrack: true, applyOnForward: true, egress: [{ action: "Allow" }] }));
  });

  test("rejects a policy in a non-default tier without the tier prefix", () =>
    expectInvalid(
      gnp({ tier: "security" }),
      "metadata.name",
      'must be named "security.<name>", got "deny-all"',
      "GlobalNetworkPolicy deny-all",
    ));
  test("rejects the reserved knp.default. prefix", () =>
    expectInvalid(
      cnp({}, "knp.default.web"),
      "metadata.name",
      "reserved for Kubernetes",
      "NetworkPolicy x/knp.default.web",
    ));
  test("rejects preDNAT with doNotTrack", () =>
    expectInvalid(
      gnp({ preDNAT: true, doNotTrack: true, applyOnForward: true }),
      "spec.preDNAT",
      "cannot both be true",
    ));
  test("rejects preDNAT without applyOnForward", () =>
    expectInvalid(gnp({ preDNAT: true }), "spec.applyOnForward", "must be true when preDNAT is true"));
  test("rejects doNotTrack without applyOnForward", () =>
    expectInvalid(
      gnp({ doNotTrack: true, applyOnForward: false }),
      "spec.applyOnForward",
      "must be true when doNotTrack is true",
    ));
  test("rejects preDNAT with egress rules", () =>
    expectInvalid(
      gnp({ preDNAT: true, applyOnForward: true, egress: [{ action: "Allow" }] }),
      "spec.egress",
      "cannot have egress rules",
    ));
  test("rejects preDNAT with type Egress", () =>
    expectInvalid(
      gnp({ preDNAT: true, applyOnForward: true, types: ["Egress"] }),
      "spec.types",
      'cannot have type "Egress"',
    ));
  test("rejects preDNAT on a namespaced policy (unknown field)", () =>
    expectInvalid(cnp({ preDNAT: true }), "spec.preDNAT", "unknown field"));
  test("rejects doNotTrack on a namespaced policy", () =>
    expectInvalid(cnp({ doNotTrack: true }), "spec.doNotTrack", "unknown field"));
  test("rejects egress rules when types lacks Egress", () =>
    expectInvalid(
      gnp({ types: ["Ingress"], egress: [{ action: "Allow" }] }),
      "spec.egress",
      'need "Egress" in types',
    ));
  test("rejects ingress rules when types lacks Ingress", () =>
    expectInvalid(
      cnp({ types: ["Egress"], ingress: [{ action: "Allow" }] }),
      "spec.ingress",
      'need "Ingress" in types',
    ));
  test("rejects a bad policy selector, naming the column", () =>
    expectInvalid(
      gnp({ selector: "app = 'x'" }),
      "spec.selector",
      'invalid selector "app = \'x\'": unexpected "=", expected an operator after label "app" at column 5',
    ));
  test("rejects a bad rule selector", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", source: { selector: "has(" } }] }),
      "spec.ingress[0].source.selector",
      "invalid selector",
    ));
  test("rejects a bad namespaceSelector", () =>
    expectInvalid(
      cnp({ egress: [{ action: "Allow", destination: { namespaceSelector: "a ==" } }] }),
      "spec.egress[0].destination.namespaceSelector",
      "unexpected end of selector",
    ));
  test("rejects an unknown action", () =>
    expectInvalid(gnp({ ingress: [{ action: "Reject" }] }), "spec.ingress[0].action", 'got "Reject"'));
  test("rejects a missing action", () =>
    expectInvalid(gnp({ ingress: [{}] }), "spec.ingress[0].action", "required"));
  test("rejects an unknown protocol name", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "GRE" }] }),
      "spec.ingress[0].protocol",
      'invalid protocol "GRE"',
    ));
  test("rejects protocol number 256", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", notProtocol: 256 }] }),
      "spec.ingress[0].notProtocol",
      "must be 1-255",
    ));
  test("rejects ports without a port protocol", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", destination: { ports: [80] } }] }),
      "spec.ingress[0].destination.ports",
      "need protocol TCP, UDP, SCTP or UDPLite, got none",
    ));
  test("rejects notPorts with ICMP", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "ICMP", source: { notPorts: [80] } }] }),
      "spec.ingress[0].source.notPorts",
      'got "ICMP"',
    ));
  test("rejects a reversed port range", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["90:80"] } }] }),
      "spec.ingress[0].destination.ports[0]",
      "range start is above its end",
    ));
  test("rejects a port above 65535", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["1:70000"] } }] }),
      "spec.ingress[0].destination.ports[0]",
      "must be 0-65535",
    ));
  test("rejects a malformed port", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["80-90"] } }] }),
      "spec.ingress[0].destination.ports[0]",
      "expected a number",
    ));
  test("rejects icmp without an ICMP protocol", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "TCP", icmp: { type: 8 } }] }),
      "spec.ingress[0].icmp",
      "needs protocol ICMP or ICMPv6",
    ));
  test("rejects an ICMP code without a type", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "ICMP", notICMP: { code: 1 } }] }),
      "spec.ingress[0].notICMP.code",
      "needs an ICMP type",
    ));
  test("rejects ICMP type 255", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", protocol: "ICMP", icmp: { type: 255 } }] }),
      "spec.ingress[0].icmp.type",
      "at most 254",
    ));
  test("rejects ipVersion 5", () =>
    expectInvalid(gnp({ ingress: [{ action: "Allow", ipVersion: 5 }] }), "spec.ingress[0].ipVersion", ""));
  test("rejects a net of the other family than ipVersion", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", ipVersion: 4, source: { nets: ["fd00::/64"] } }] }),
      "spec.ingress[0].source.nets[0]",
      "is not IPv4",
    ));
  test("rejects ICMPv6 with ipVersion 4", () =>
    expectInvalid(
      gnp({ egress: [{ action: "Allow", protocol: "ICMPv6", ipVersion: 4 }] }),
      "spec.egress[0].ipVersion",
      "does not match ipVersion 4",
    ));
  test("rejects a bad notNets CIDR", () =>
    expectInvalid(
      gnp({ egress: [{ action: "Allow", destination: { notNets: ["10.0.0.1"] } }] }),
      "spec.egress[0].destination.notNets[0]",
      'missing "/<prefix>"',
    ));
  test("rejects a non-numeric order", () =>
    expectInvalid(gnp({ order: "first" }), "spec.order", "expected number"));
  test("rejects an unknown spec field", () =>
    expectInvalid(gnp({ selectr: "all()" }), "spec.selectr", "unknown field"));
  test("rejects an unknown entity field", () =>
    expectInvalid(
      gnp({ ingress: [{ action: "Allow", source: { net: [] } }] }),
      "spec.ingress[0].source.net",
      "unknown field",
    ));
});
