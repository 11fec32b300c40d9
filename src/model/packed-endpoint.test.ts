import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dump } from "js-yaml";
import { applyMergePatch } from "../datastore/merge-patch.ts";
import type { EndpointSlice } from "./endpoint-slice.ts";
import {
  endpointAddress,
  packEndpoint,
  PackedEndpoint,
  PackedEndpointWithRef,
  plainResource,
} from "./packed-endpoint.ts";
import { validateResource } from "./validate-resource.ts";

const ready = Object.freeze({ ready: true });

function slice(endpoints: object[]): EndpointSlice {
  const r = validateResource({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-a", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints,
    ports: [{ name: "http", port: 8080 }],
  });
  assert.ok(r.ok, JSON.stringify(r));
  return r.resource as EndpointSlice;
}

describe("PackedEndpoint", () => {
  test("packs one address, conditions, and hostname, targetRef, nodeName, zone in the schema's order", () => {
    const packed = packEndpoint({ addresses: ["198.18.0.1"], conditions: ready, nodeName: "n1" });
    assert.ok(packed instanceof PackedEndpoint && !(packed instanceof PackedEndpointWithRef));
    assert.deepEqual(packed.addresses, ["198.18.0.1"]);
    assert.ok(packEndpoint({ addresses: ["198.18.0.1"], conditions: ready }) instanceof PackedEndpoint);
    // What an API server's slices give each endpoint: the Pod, its hostname and zone.
    for (const plain of [
      {
        addresses: ["198.18.0.2"],
        conditions: ready,
        targetRef: { kind: "Pod", namespace: "shop", name: "web-1", uid: "0b6f" },
        nodeName: "n1",
        zone: "z1",
      },
      { addresses: ["198.18.0.3"], conditions: ready, hostname: "web-1", nodeName: "n1" },
      { addresses: ["198.18.0.4"], conditions: ready, zone: "z1" },
    ]) {
      const p = packEndpoint({ ...plain });
      assert.ok(p instanceof PackedEndpointWithRef, JSON.stringify(plain));
      assert.equal(JSON.stringify(p), JSON.stringify(plain));
      assert.deepEqual(p.addresses, plain.addresses);
    }
    for (const kept of [
      { addresses: ["198.18.0.1", "198.18.0.2"], conditions: ready },
      { addresses: ["198.18.0.1"], conditions: ready, hints: { forZones: [] } },
      { addresses: ["198.18.0.1"], conditions: ready, zone: "a", nodeName: "n1" },
      { addresses: ["198.18.0.1"], conditions: ready, targetRef: "web-1" },
      { addresses: ["198.18.0.1"], conditions: ready, zone: 3 },
      { conditions: ready, addresses: ["198.18.0.1"] },
      { addresses: ["198.18.0.1"], nodeName: "n1", conditions: ready },
      { addresses: ["198.18.0.1"] },
      { addresses: [], conditions: ready },
      { addresses: ["198.18.0.1"], conditions: ready, nodeName: undefined },
    ])
      assert.equal(packEndpoint(kept), kept, JSON.stringify(kept));
    assert.equal(packEndpoint(packed), packed);
  });

  test("prints as the plain endpoint: JSON, YAML, a spread through plainResource", () => {
    const plain = { addresses: ["198.18.0.1"], conditions: { ready: true }, nodeName: "n1" };
    const packed = packEndpoint({ ...plain });
    assert.equal(JSON.stringify(packed), JSON.stringify(plain));
    const bare = packEndpoint({ addresses: ["198.18.0.2"], conditions: ready });
    assert.equal(JSON.stringify(bare), '{"addresses":["198.18.0.2"],"conditions":{"ready":true}}');
    assert.deepStrictEqual(plainResource({ items: [{ endpoints: [packed, bare] }] }), {
      items: [{ endpoints: [plain, { addresses: ["198.18.0.2"], conditions: { ready: true } }] }],
    });
    const s = slice([plain]);
    assert.ok(s.endpoints[0] instanceof PackedEndpoint);
    assert.equal(
      dump(plainResource(s), { skipInvalid: true }),
      dump(JSON.parse(JSON.stringify(s)), { skipInvalid: true }),
    );
    assert.match(dump(plainResource(s)), /addresses:\n\s+- 198\.18\.0\.1/);
  });

  test("plainResource shares what holds no packed endpoint, and copies only the path to one", () => {
    const s = slice([{ addresses: ["198.18.0.1"], conditions: { ready: true } }]);
    const p = plainResource(s);
    assert.notEqual(p, s);
    assert.equal(p.metadata, s.metadata);
    assert.equal(p.ports, s.ports);
    assert.ok(s.endpoints[0] instanceof PackedEndpoint, "the resource itself is not changed");
    const noPacked = { a: [1, { b: "c" }] };
    assert.equal(plainResource(noPacked), noPacked);
  });

  test("two packed endpoints with different addresses are not deep-equal", () => {
    const a = packEndpoint({ addresses: ["198.18.0.1"], conditions: ready });
    const b = packEndpoint({ addresses: ["198.18.0.2"], conditions: ready });
    assert.notDeepStrictEqual(a, b);
    assert.deepStrictEqual(a, packEndpoint({ addresses: ["198.18.0.1"], conditions: ready }));
  });

  test("a merge patch of a stored slice keeps its endpoints' addresses", () => {
    const s = slice([
      { addresses: ["198.18.0.1"], conditions: { ready: true }, nodeName: "n1" },
      { addresses: ["198.18.0.2"], conditions: { ready: false } },
    ]);
    const out = applyMergePatch(s, { metadata: { labels: { team: "a" } } }) as EndpointSlice;
    assert.deepStrictEqual(JSON.parse(JSON.stringify(out.endpoints)), [
      { addresses: ["198.18.0.1"], conditions: { ready: true }, nodeName: "n1" },
      { addresses: ["198.18.0.2"], conditions: { ready: false } },
    ]);
    const again = validateResource(out);
    assert.ok(again.ok);
    assert.equal(JSON.stringify((again.resource as EndpointSlice).endpoints), JSON.stringify(s.endpoints));
  });

  test("endpointAddress reads the first address of either form", () => {
    assert.equal(
      endpointAddress(packEndpoint({ addresses: ["198.18.0.1"], conditions: ready })),
      "198.18.0.1",
    );
    assert.equal(endpointAddress({ addresses: ["198.18.0.3", "198.18.0.4"] }), "198.18.0.3");
    assert.equal(endpointAddress({ addresses: [] }), undefined);
  });
});
