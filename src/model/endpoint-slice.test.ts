import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";
import { endpointSliceSchema, endpointSliceServiceName } from "./endpoint-slice.ts";
import { PackedEndpoint } from "./packed-endpoint.ts";
import { RESOURCE_KINDS } from "./resource-kinds.ts";
import type { Resource } from "./resource.ts";
import { shareResourceParts } from "./validate-resource.ts";

function slice(fields: Record<string, unknown>): unknown {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc12", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ...fields,
  };
}

describe("EndpointSlice", () => {
  test("keeps conditions tri-state and ties the slice to its Service", () => {
    const r = expectValid(
      slice({
        endpoints: [
          {
            addresses: ["198.19.1.5"],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: "node-1",
            zone: "a",
          },
          { addresses: ["198.19.2.5"] },
        ],
        ports: [{ name: "http", port: 8080 }],
      }),
    );
    if (r.kind !== "EndpointSlice") return assert.fail("wrong kind");
    assert.deepEqual(r.endpoints[1]?.conditions, {});
    assert.equal(r.ports[0]?.protocol, "TCP");
    assert.equal(endpointSliceServiceName(r), "web");
  });

  test("accepts IPv6 slices", () => {
    expectValid(slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::5"] }] }));
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    [
      "an IPv6 address in an IPv4 slice",
      { endpoints: [{ addresses: ["fd00::5"] }] },
      "endpoints[0].addresses[0]",
      'invalid IPv4 address "fd00::5"',
    ],
    [
      "an endpoint without addresses",
      { endpoints: [{ addresses: [] }] },
      "endpoints[0].addresses",
      "at least 1 entry",
    ],
    [
      "a non-boolean condition",
      { endpoints: [{ addresses: ["198.19.1.5"], conditions: { ready: "yes" } }] },
      "endpoints[0].conditions.ready",
      'expected boolean, got string "yes"',
    ],
    [
      "an unknown condition",
      { endpoints: [{ addresses: ["198.19.1.5"], conditions: { healthy: true } }] },
      "endpoints[0].conditions.healthy",
      "unknown field",
    ],
    ["a bad addressType", { addressType: "IPv5" }, "addressType", 'got "IPv5"'],
    ["a port above 65535", { ports: [{ port: 65536 }] }, "ports[0].port", "at most 65535"],
    [
      "a bad nodeName",
      { endpoints: [{ addresses: ["198.19.1.5"], nodeName: "Node_1" }] },
      "endpoints[0].nodeName",
      "invalid DNS-1123 subdomain",
    ],
  ];
  for (const [what, fields, field, reason] of invalid) {
    test(`rejects ${what}`, () =>
      expectInvalid(slice(fields), field, reason, "EndpointSlice shop/web-abc12"));
  }

  test("rejects a bad service-name label value", () => {
    const raw = {
      ...(slice({}) as object),
      metadata: { name: "x", labels: { "kubernetes.io/service-name": "web/x" } },
    };
    expectInvalid(raw, 'metadata.labels["kubernetes.io/service-name"]', 'invalid label value "web/x"');
  });
});

describe("EndpointSlice parts held once", () => {
  const parse = (eps: unknown[]) =>
    endpointSliceSchema().parse({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-a", namespace: "default" },
      addressType: "IPv4",
      endpoints: eps,
    });

  test("equal conditions are one frozen object that prints as the original; node names are equal", () => {
    const a = parse([
      { addresses: ["198.18.0.1"], conditions: { ready: true, serving: true }, nodeName: "node-1" },
      { addresses: ["198.18.0.2"], conditions: { ready: true, serving: true }, nodeName: "node-1" },
      { addresses: ["198.18.0.3"], conditions: { serving: true, ready: true } },
      { addresses: ["198.18.0.4"], conditions: { ready: false } },
      { addresses: ["198.18.0.5"] },
    ]);
    const b = parse([{ addresses: ["198.18.0.9"], conditions: { ready: true, serving: true } }]);
    const [e0, e1, e2, e3, e4] = a.endpoints;
    assert.equal(e0!.conditions, e1!.conditions);
    assert.equal(e0!.conditions, b.endpoints[0]!.conditions, "shared across slices");
    // The schema puts the keys in its own order, so another input order is the same object.
    assert.equal(e0!.conditions, e2!.conditions);
    assert.equal(JSON.stringify(e2!.conditions), '{"ready":true,"serving":true}');
    assert.notEqual(e0!.conditions, e3!.conditions);
    assert.deepEqual(e3!.conditions, { ready: false });
    assert.deepEqual(e4!.conditions, {});
    assert.ok(Object.isFrozen(e0!.conditions));
    assert.throws(() => {
      (e0!.conditions as { ready: boolean }).ready = false;
    }, TypeError);
    assert.equal(e1!.conditions.ready, true);
    assert.equal(e0!.nodeName, "node-1");
    assert.equal(e1!.nodeName, "node-1");
  });

  test("read back as JSON (the restart snapshot): the same sharing, one-address endpoints packed", () => {
    const validated = parse([
      { addresses: ["198.18.0.1"], conditions: { ready: true, serving: true }, nodeName: "node-1" },
      { addresses: ["198.18.0.2"], conditions: { ready: true, serving: true }, nodeName: "node-1" },
    ]);
    const info = RESOURCE_KINDS.find((k) => k.kind === "EndpointSlice")!;
    const read = JSON.parse(JSON.stringify(validated)) as Resource & { endpoints: object[] };
    const asParsed = [...read.endpoints];
    const shared = shareResourceParts(read, info) as typeof validated;
    assert.deepEqual(shared, validated);
    assert.equal(JSON.stringify(shared), JSON.stringify(validated));
    assert.ok(shared.endpoints[0] instanceof PackedEndpoint, "packed as validation packs");
    assert.equal(shared.endpoints[1]!.addresses[0], "198.18.0.2");
    assert.notEqual(shared.endpoints[0], asParsed[0]);
    assert.equal(
      shared.endpoints[0]!.conditions,
      validated.endpoints[0]!.conditions,
      "one conditions object",
    );
    assert.equal(shared.ports, validated.ports, "one ports list");
  });
});
