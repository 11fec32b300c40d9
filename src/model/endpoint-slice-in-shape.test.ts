/**
 * validateSliceInShape against the schema it stands in for, over generated slices: valid ones,
 * ones with a field made invalid, keys out of order, extra keys. Whenever the in-shape path
 * returns a slice, the schema must accept the same input and print the same JSON (key order
 * included); the generator must reach both outcomes often enough to mean something; and
 * checkers broken on purpose must be caught.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareInShape, type InShapeOutcome } from "../../test/support/in-shape-comparison.ts";
import { endpointInShape, endpointSliceSchema, validateSliceInShape } from "./endpoint-slice.ts";
import { validateResource } from "./validate-resource.ts";
import { PackedEndpoint } from "./packed-endpoint.ts";

const ABSENT = Symbol("absent");
type Choice = unknown;

// Per field: values the schema accepts (the first list) and ones it does not or that the
// in-shape path must leave to it (the second).
const FIELDS: Record<string, [Choice[], Choice[]]> = {
  addresses: [
    [["198.18.0.1"], ["198.18.0.1", "198.18.0.2"]],
    [[], ["fd00::1"], ["fe80::1%eth0"], [1], "198.18.0.1", Array(101).fill("198.18.0.3"), ABSENT],
  ],
  conditions: [
    [{ ready: true, serving: true, terminating: false }, {}, { ready: null }, { serving: false }],
    [{ serving: true, ready: true }, { ready: "yes" }, { healthy: true }, null, ABSENT, { ready: undefined }],
  ],
  hostname: [
    [ABSENT, "web-0"],
    ["Web_0", "", 5, "a".repeat(64)],
  ],
  targetRef: [
    [ABSENT, { kind: "Pod", namespace: "shop", name: "web-0" }, { kind: "Pod", name: "web-0", uid: "u-1" }],
    [
      { uid: "u-1", kind: "Pod" },
      { name: "x", kind: "Pod" },
      { kind: 5 },
      "pod",
      null,
      JSON.parse('{"kind":"Pod","__proto__":{"x":1}}'),
    ],
  ],
  nodeName: [
    [ABSENT, "node-1", "node-1.example"],
    ["Node_1", "", 7],
  ],
  zone: [
    [ABSENT, "zone-a", ""],
    [3, null],
  ],
  hints: [
    [ABSENT, { forZones: [{ name: "zone-a" }] }, {}],
    [[], null, "zone-a"],
  ],
  deprecatedTopology: [[ABSENT], [{ zone: "a" }, { zone: 1 }]],
  weight: [[ABSENT], [1]],
};

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function endpoint(rand: () => number, addressType: string): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [key, [good, bad]] of Object.entries(FIELDS)) {
    let value = rand() < 0.03 ? pick(rand, bad) : pick(rand, good);
    if (key === "addresses" && addressType === "IPv6" && rand() < 0.9) value = ["fd00::1"];
    if (key === "addresses" && addressType === "FQDN" && rand() < 0.9) value = ["web.example"];
    // Copies, so one case's mutation (the in-shape path shares conditions in place) stays in it.
    if (value !== ABSENT) entries.push([key, value === undefined ? undefined : structuredClone(value)]);
  }
  if (rand() < 0.05) entries.reverse();
  else if (rand() < 0.05 && entries.length > 2) [entries[1], entries[2]] = [entries[2]!, entries[1]!];
  return Object.fromEntries(entries);
}

function slice(rand: () => number): Record<string, unknown> {
  const addressType = rand() < 0.9 ? "IPv4" : pick(rand, ["IPv6", "FQDN", "IPv5"]);
  const raw: Record<string, unknown> = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata:
      rand() < 0.9
        ? { name: "web-abc12", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } }
        : pick(rand, [
            { name: "Web_abc" },
            { name: "web-abc12" },
            { namespace: "shop" },
            { labels: { "kubernetes.io/service-name": "web" }, uid: "u-1", name: "web.abc" },
            { name: "web-abc12", annotations: { a: "b" }, namespace: "Shop" },
            { name: "web-abc12", labels: { "kubernetes.io/service-name": "web x" } },
          ]),
    addressType,
    endpoints: Array.from({ length: rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 3) }, () =>
      endpoint(rand, addressType),
    ),
    ports:
      rand() < 0.85
        ? [{ name: "http", port: 8080, protocol: "TCP" }]
        : pick(rand, [
            [{ port: 65536 }],
            [{ port: 80 }],
            [],
            [{ protocol: "UDP", name: "dns", port: 53, appProtocol: "dns" }],
            [{ name: "x".repeat(64), port: 80 }],
            [{ name: "" }],
            [{ port: 80, protocol: "ICMP" }],
            [{ port: 80, extra: 1 }],
            "http",
            ABSENT,
          ]),
  };
  if (raw["ports"] === ABSENT) delete raw["ports"];
  if (rand() < 0.03) raw["extra"] = true;
  if (rand() < 0.03) delete raw["endpoints"];
  // The input's key order is the author's: the output's must be the schema's either way.
  return rand() < 0.3 ? Object.fromEntries(Object.entries(raw).reverse()) : raw;
}

/** compare runs `cases` generated slices through the in-shape path (with `inShape`) and the schema. */
function compare(cases: number, inShape: (ep: unknown) => boolean = endpointInShape): InShapeOutcome {
  return compareInShape({
    cases,
    seed: 20261207,
    generate: slice,
    schema: endpointSliceSchema(),
    inShape: (raw) => validateSliceInShape(raw, inShape),
    shared: (fast, bySchema) =>
      fast.endpoints.some((ep, j) => ep.conditions !== bySchema.endpoints[j]!.conditions)
        ? "conditions not the shared object"
        : undefined,
  });
}

describe("validateSliceInShape", () => {
  test("agrees with the schema on 4,000 generated slices, and both outcomes are common", () => {
    const { disagreements, inShape, rejected } = compare(4000);
    assert.deepEqual(disagreements.slice(0, 3), []);
    assert.ok(inShape > 1000, `in shape ${inShape} of 4000`);
    assert.ok(rejected > 800, `rejected by the schema ${rejected} of 4000`);
  });

  test("catches a checker that accepts everything", () => {
    assert.ok(compare(500, () => true).disagreements.length > 0);
  });

  test("catches a checker that skips the hostname", () => {
    const skipsHostname = (ep: unknown): boolean => {
      if (typeof ep !== "object" || ep === null) return endpointInShape(ep);
      const { hostname: _hostname, ...rest } = ep as Record<string, unknown>;
      return endpointInShape(rest);
    };
    const found = compare(4000, skipsHostname).disagreements;
    assert.ok(
      found.some((d) => d.includes("the schema rejects")),
      found[0],
    );
  });

  test("catches a checker that ignores key order", () => {
    const order = Object.keys(FIELDS);
    const reordered = (ep: unknown): boolean => {
      if (typeof ep !== "object" || ep === null || Array.isArray(ep)) return endpointInShape(ep);
      const e = ep as Record<string, unknown>;
      return endpointInShape(Object.fromEntries(order.filter((k) => k in e).map((k) => [k, e[k]])));
    };
    const found = compare(4000, reordered).disagreements;
    assert.ok(
      found.some((d) => d.includes("vs the schema's")),
      found[0],
    );
  });

  test("validateResource takes it: one-address endpoints packed, others the parsed objects", () => {
    const raw = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-a", namespace: "shop" },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["198.18.0.1"], conditions: { ready: true }, nodeName: "node-1" },
        { addresses: ["198.18.0.2", "198.18.0.3"], conditions: { ready: true } },
      ],
    };
    const [one, two] = raw.endpoints;
    const result = validateResource(raw);
    assert.ok(result.ok);
    const resource = result.resource as { endpoints: object[]; ports: object[] };
    const packed = resource.endpoints[0];
    assert.ok(packed instanceof PackedEndpoint);
    assert.equal(packed.address, "198.18.0.1");
    assert.equal(packed.nodeName, "node-1");
    assert.ok(Object.isFrozen(packed.conditions));
    assert.equal(JSON.stringify(packed), JSON.stringify(one));
    assert.equal(resource.endpoints[1], two, "two addresses: the parsed object itself");
    assert.deepEqual(resource.ports, []);
  });

  test("a bad endpoint is still worded by the schema", () => {
    const result = validateResource({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-a", namespace: "shop" },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["198.18.0.1"], conditions: {} },
        { addresses: ["198.18.0.2"], conditions: {}, hostname: "Web_1" },
      ],
    });
    assert.ok(!result.ok);
    assert.equal(result.error.field, "endpoints[1].hostname");
  });
});
