import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";

const gnp = (spec: Record<string, unknown>): unknown => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name: "dns" },
  spec,
});

const egress = (rule: Record<string, unknown>): unknown => gnp({ types: ["Egress"], egress: [rule] });

describe("DNS policy fields (destination.domains, allowedEgressDomains)", () => {
  test("an egress Allow rule with exact and wildcard domains is valid", () => {
    const r = expectValid(
      egress({
        action: "Allow",
        protocol: "TCP",
        destination: { domains: ["allowed.lab.example", "*.cdn.example"], ports: [443] },
      }),
    );
    assert.equal(r.kind, "GlobalNetworkPolicy");
  });
  test("a bad pattern is refused with the field and the reason", () =>
    expectInvalid(
      egress({ action: "Allow", destination: { domains: ["a.*.*"] } }),
      "spec.egress[0].destination.domains[0]",
      "more than one wildcard",
    ));
  test("domains only in Allow rules", () =>
    expectInvalid(
      egress({ action: "Deny", destination: { domains: ["x.example"] } }),
      "spec.egress[0].destination.domains",
      "only in Allow rules",
    ));
  test("domains only on the destination", () =>
    expectInvalid(
      egress({ action: "Allow", source: { domains: ["x.example"] } }),
      "spec.egress[0].source.domains",
      "destinations only",
    ));
  test("domains not beside nets or a selector", () =>
    expectInvalid(
      egress({ action: "Allow", destination: { domains: ["x.example"], selector: "all()" } }),
      "spec.egress[0].destination.selector",
      "cannot be used with domains",
    ));
  test("domains not in ingress rules", () =>
    expectInvalid(
      gnp({ types: ["Ingress"], ingress: [{ action: "Allow", destination: { domains: ["x.example"] } }] }),
      "spec.ingress[0].destination.domains",
      "egress rules only",
    ));
  test("GlobalNetworkSet allowedEgressDomains: valid patterns accepted, bad ones refused", () => {
    const set = (domains: string[]): unknown => ({
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: { name: "cdn", labels: { egress: "cdn" } },
      spec: { nets: ["198.18.7.0/24"], allowedEgressDomains: domains },
    });
    expectValid(set(["*.cdn.example"]));
    expectInvalid(set(["www.g*.com"]), "spec.allowedEgressDomains[0]", "whole label");
  });
});
