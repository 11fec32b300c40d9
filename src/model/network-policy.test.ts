import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";
import { resolveKind } from "./resource-kinds.ts";

function np(spec: Record<string, unknown>): unknown {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "web", namespace: "x" },
    spec: { podSelector: {}, ...spec },
  };
}

function policyTypesOf(raw: unknown): string[] {
  const r = expectValid(raw);
  if (r.kind !== "NetworkPolicy" || r.apiVersion !== "networking.k8s.io/v1") return assert.fail("wrong kind");
  return r.spec.policyTypes;
}

describe("NetworkPolicy (networking.k8s.io/v1)", () => {
  test("accepts the conformance suite's shapes: pod and namespace selectors together, ipBlock with except, named ports, endPort", () => {
    const r = expectValid(
      np({
        podSelector: {
          matchLabels: { pod: "a" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }],
        },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { pod: "b" } }, namespaceSelector: { matchLabels: { ns: "y" } } },
            ],
            ports: [{ port: "serve-80-tcp" }],
          },
          {
            from: [{ ipBlock: { cidr: "198.18.0.0/16", except: ["198.18.1.0/24"] } }],
            ports: [{ protocol: "UDP", port: 80, endPort: 81 }],
          },
          {},
        ],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: "SCTP" }] }],
      }),
    );
    if (r.kind !== "NetworkPolicy" || r.apiVersion !== "networking.k8s.io/v1")
      return assert.fail("wrong kind");
    assert.equal(r.spec.ingress?.[0]?.ports?.[0]?.protocol, "TCP");
    assert.deepEqual(r.spec.ingress?.[2], {});
    assert.deepEqual(r.spec.policyTypes, ["Ingress", "Egress"]);
  });

  test("policyTypes defaults: Ingress always, Egress only when egress rules exist", () => {
    assert.deepEqual(policyTypesOf(np({})), ["Ingress"]);
    assert.deepEqual(policyTypesOf(np({ ingress: [] })), ["Ingress"]);
    assert.deepEqual(policyTypesOf(np({ egress: [] })), ["Ingress"]);
    assert.deepEqual(policyTypesOf(np({ egress: [{}] })), ["Ingress", "Egress"]);
    assert.deepEqual(policyTypesOf(np({ policyTypes: ["Egress"] })), ["Egress"]);
  });

  test("keeps empty and missing lists apart", () => {
    const r = expectValid(np({ ingress: [{ from: [] }, {}] }));
    if (r.kind !== "NetworkPolicy" || r.apiVersion !== "networking.k8s.io/v1")
      return assert.fail("wrong kind");
    assert.deepEqual(r.spec.ingress?.[0]?.from, []);
    assert.equal(r.spec.ingress?.[1]?.from, undefined);
    assert.equal(r.spec.egress, undefined);
  });

  const at = "NetworkPolicy x/web";
  test("rejects a missing podSelector", () =>
    expectInvalid({ ...(np({}) as object), spec: {} }, "spec.podSelector", "required", at));
  test("rejects an except outside its cidr", () =>
    expectInvalid(
      np({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.1.0.0/24"] } }] }] }),
      "spec.ingress[0].from[0].ipBlock.except[0]",
      'must be a strict subset of cidr "10.0.0.0/16"',
    ));
  test("rejects an except equal to its cidr", () =>
    expectInvalid(
      np({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.0.0/16"] } }] }] }),
      "spec.ingress[0].from[0].ipBlock.except[0]",
      "strict subset",
    ));
  test("rejects an except of the other family", () =>
    expectInvalid(
      np({ egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["fd00::/64"] } }] }] }),
      "spec.egress[0].to[0].ipBlock.except[0]",
      "strict subset",
    ));
  test("rejects a bad ipBlock cidr", () =>
    expectInvalid(
      np({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] }),
      "spec.ingress[0].from[0].ipBlock.cidr",
      "prefix must be 0-32",
    ));
  test("rejects ipBlock together with a selector", () =>
    expectInvalid(
      np({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] }),
      "spec.ingress[0].from[0].ipBlock",
      "cannot be combined",
    ));
  test("rejects an empty peer", () =>
    expectInvalid(np({ ingress: [{ from: [{}] }] }), "spec.ingress[0].from[0]", "a peer needs"));
  test("rejects endPort with a named port", () =>
    expectInvalid(
      np({ ingress: [{ ports: [{ port: "http", endPort: 90 }] }] }),
      "spec.ingress[0].ports[0].endPort",
      'needs a numeric port, got "http"',
    ));
  test("rejects endPort without port", () =>
    expectInvalid(
      np({ ingress: [{ ports: [{ endPort: 90 }] }] }),
      "spec.ingress[0].ports[0].endPort",
      "endPort needs port",
    ));
  test("rejects endPort below port", () =>
    expectInvalid(
      np({ ingress: [{ ports: [{ port: 90, endPort: 80 }] }] }),
      "spec.ingress[0].ports[0].endPort",
      "must be at least port 90, got 80",
    ));
  test("rejects an unknown protocol", () =>
    expectInvalid(
      np({ ingress: [{ ports: [{ protocol: "ICMP" }] }] }),
      "spec.ingress[0].ports[0].protocol",
      'got "ICMP"',
    ));
  test("rejects a bad port name", () =>
    expectInvalid(
      np({ ingress: [{ ports: [{ port: "Serve_80" }] }] }),
      "spec.ingress[0].ports[0].port",
      'invalid port name "Serve_80"',
    ));
  test("rejects port 0", () =>
    expectInvalid(np({ egress: [{ ports: [{ port: 0 }] }] }), "spec.egress[0].ports[0].port", "at least 1"));
  test("rejects an unknown policy type", () =>
    expectInvalid(np({ policyTypes: ["Forward"] }), "spec.policyTypes[0]", 'got "Forward"'));
  test("rejects a repeated policy type", () =>
    expectInvalid(np({ policyTypes: ["Ingress", "Ingress"] }), "spec.policyTypes", "must not repeat"));
  test("rejects In without values", () =>
    expectInvalid(
      np({ podSelector: { matchExpressions: [{ key: "a", operator: "In", values: [] }] } }),
      "spec.podSelector.matchExpressions[0].values",
      'operator "In" needs at least one value',
    ));
  test("rejects Exists with values", () =>
    expectInvalid(
      np({ podSelector: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] } }),
      "spec.podSelector.matchExpressions[0].values",
      "takes no values",
    ));
  test("rejects a bad label key in matchLabels", () =>
    expectInvalid(
      np({ podSelector: { matchLabels: { "-bad": "x" } } }),
      'spec.podSelector.matchLabels["-bad"]',
      "invalid label key",
    ));
  test("rejects a misspelt rule field", () =>
    expectInvalid(np({ ingress: [{ form: [] }] }), "spec.ingress[0].form", "unknown field"));

  test("kubectl's names: netpol and networkpolicy mean Kubernetes', networkpolicy.p means Calico's", () => {
    assert.equal(resolveKind("netpol")?.group, "networking.k8s.io");
    assert.equal(resolveKind("networkpolicies")?.group, "networking.k8s.io");
    assert.equal(resolveKind("networkpolicy.p")?.group, "projectcalico.org");
    assert.equal(resolveKind("networkpolicies.projectcalico.org")?.group, "projectcalico.org");
    assert.equal(resolveKind("gnp")?.kind, "GlobalNetworkPolicy");
    assert.equal(resolveKind("globalnetworkpolicies")?.kind, "GlobalNetworkPolicy");
  });
});
