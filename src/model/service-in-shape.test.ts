/**
 * validateServiceInShape against the schema it stands in for, over generated Services: valid
 * ones, ones with a field made invalid or of a shape left to the schema, keys in any order,
 * extra keys, rules across fields broken. Whenever the in-shape path returns a Service, the
 * schema must accept the same input and print the same JSON (key order included); the
 * generator must reach both outcomes often; and checkers broken on purpose must be caught.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareInShape, type InShapeOutcome } from "../../test/support/in-shape-comparison.ts";
import { serviceSchema } from "./service.ts";
import type { ShapeField } from "./in-shape-fields.ts";
import { SERVICE_SPEC_FIELDS, validateServiceInShape } from "./service-in-shape.ts";
import { validateResource } from "./validate-resource.ts";
import type { ValidationOptions } from "./validation-options.ts";

const ABSENT = Symbol("absent");

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** Per field: values the schema accepts (first list) and ones it refuses or the in-shape path leaves to it. */
type Fields = Record<string, [unknown[], unknown[]]>;

const PORT: Fields = {
  name: [
    [ABSENT, "http", "h2c-1"],
    ["HTTP", "", 80, "-x"],
  ],
  protocol: [
    [ABSENT, "TCP", "UDP", "SCTP"],
    ["tcp", "ICMP", null],
  ],
  appProtocol: [
    [ABSENT, "http", ""],
    [1, null],
  ],
  port: [
    [80, 443, 65535, 1],
    [0, 65536, "80", 1.5, ABSENT, null],
  ],
  targetPort: [
    [ABSENT, 8080, "http", "web-8080"],
    [0, "HTTP", "a-very-long-port-name", "80", "--x", 70000, null],
  ],
  // Set for NodePort and LoadBalancer Services below (the schema refuses one on a ClusterIP).
  nodePort: [
    [ABSENT, ABSENT, ABSENT, 0],
    [29999, 40000, -1, "30080", 65536, 30080],
  ],
  extra: [[ABSENT], [true]],
};

const META: Fields = {
  name: [
    ["web", "web-1", "a"],
    ["Web", "1web", "web_1", "", 5, ABSENT, "a".repeat(64)],
  ],
  namespace: [
    [ABSENT, "shop", "default"],
    ["Shop", "", 3, null],
  ],
  labels: [
    [ABSENT, { app: "web" }, { "app.kubernetes.io/name": "web", tier: "" }, {}],
    [{ app: "web shop" }, { "-app": "x" }, { app: 5 }, null, ["app"], JSON.parse('{"__proto__":"x"}')],
  ],
  annotations: [
    [ABSENT, { note: "any text at all" }, {}],
    [{ n: 1 }, null],
  ],
  uid: [[ABSENT, "0b7a", 42], []],
  resourceVersion: [[ABSENT, "123"], []],
  __proto__: [[ABSENT], [JSON.parse('{"__proto__":{"x":1}}').__proto__]],
};

const SPEC: Fields = {
  type: [
    [ABSENT, "ClusterIP", "NodePort", "LoadBalancer"],
    ["ExternalName", "clusterip", 1],
  ],
  selector: [
    [ABSENT, { app: "web" }, {}],
    [{ app: "a b" }, "app=web", null],
  ],
  clusterIP: [
    [ABSENT, "198.18.0.10", "None", "", "fd00::10"],
    ["198.18.0.300", "10.0.0.0/8", null],
  ],
  clusterIPs: [
    [ABSENT, ["198.18.0.10"], ["198.18.0.10", "fd00::10"]],
    [["198.18.0.10", "198.18.0.11"], ["x"], ["198.18.0.10", "fd00::10", "198.18.0.12"], "198.18.0.10"],
  ],
  externalIPs: [
    [ABSENT, ["198.19.0.1"], []],
    [["198.19.0.1/32"], "198.19.0.1"],
  ],
  loadBalancerIP: [[ABSENT], ["198.19.0.9", "nope"]],
  loadBalancerSourceRanges: [
    [ABSENT, ["198.19.0.0/16"]],
    [["198.19.0.0"], ["198.19.0.0/33"]],
  ],
  loadBalancerClass: [[ABSENT, "example.com/lb"], [7]],
  allocateLoadBalancerNodePorts: [[ABSENT, true, false], ["true"]],
  sessionAffinity: [
    [ABSENT, "None", "ClientIP"],
    ["clientip", null],
  ],
  sessionAffinityConfig: [[ABSENT], [{ clientIP: { timeoutSeconds: 60 } }, { clientIP: {} }]],
  externalTrafficPolicy: [
    [ABSENT, "Cluster", "Local"],
    ["local", "Node"],
  ],
  internalTrafficPolicy: [[ABSENT, "Cluster", "Local"], ["Everywhere"]],
  healthCheckNodePort: [[ABSENT], [30100, 0, 70000]],
  publishNotReadyAddresses: [[ABSENT, true], [1]],
  ipFamilies: [
    [ABSENT, ["IPv4"], ["IPv4", "IPv6"]],
    [["IPv4", "IPv4"], ["IPv5"], ["IPv4", "IPv6", "IPv4"]],
  ],
  ipFamilyPolicy: [[ABSENT, "SingleStack", "PreferDualStack"], ["DualStack"]],
  trafficDistribution: [[ABSENT, "PreferClose"], [1]],
  externalName: [[ABSENT], ["db.example.com", "DB"]],
  extra: [[ABSENT], [{ a: 1 }]],
};

/** object: one generated object of `fields`, each field bad with probability `bad`, keys in any order. */
function object(rand: () => number, fields: Fields, bad: number): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [key, [good, wrong]] of Object.entries(fields)) {
    const value = wrong.length > 0 && rand() < bad ? pick(rand, wrong) : pick(rand, good);
    if (value !== ABSENT) entries.push([key, structuredClone(value)]);
  }
  if (rand() < 0.3) entries.reverse();
  // Object.fromEntries would make "__proto__" an own key as JSON.parse does: the generator wants that.
  return Object.fromEntries(entries);
}

function service(rand: () => number): Record<string, unknown> {
  const ports = Array.from({ length: rand() < 0.02 ? 0 : 1 + Math.floor(rand() * 3) }, () =>
    object(rand, PORT, 0.01),
  );
  // Most multi-port Services name their ports (the schema requires it): keep that common.
  if (ports.length > 1 && rand() < 0.8) ports.forEach((p, i) => (p["name"] = `p${i}`));
  const spec = object(rand, SPEC, 0.015);
  if (rand() < 0.98) spec["ports"] = ports;
  if ((spec["type"] === "NodePort" || spec["type"] === "LoadBalancer") && rand() < 0.7)
    ports.forEach((p, i) => (p["nodePort"] = 30080 + i));
  // clusterIPs[0] must equal clusterIP: mostly it does.
  if (typeof spec["clusterIP"] === "string" && rand() < 0.8) spec["clusterIPs"] = [spec["clusterIP"]];
  const raw: Record<string, unknown> = {
    apiVersion: rand() < 0.99 ? "v1" : "v2",
    kind: "Service",
    metadata: object(rand, META, 0.02),
    spec,
  };
  if (rand() < 0.03) raw["status"] = { loadBalancer: {} };
  if (rand() < 0.02) raw["extra"] = 1;
  if (rand() < 0.3) return Object.fromEntries(Object.entries(raw).reverse());
  return raw;
}

const OPTIONS: ValidationOptions = { nodePortRange: { min: 30000, max: 32767 } };

/** compare runs `cases` generated Services through the in-shape path (over `fields`) and the schema. */
function compare(cases: number, fields: readonly ShapeField[] = SERVICE_SPEC_FIELDS): InShapeOutcome {
  return compareInShape({
    cases,
    seed: 20261208,
    generate: service,
    schema: serviceSchema(OPTIONS),
    inShape: (raw) => validateServiceInShape(raw, OPTIONS, fields),
    shared: (fast, bySchema) =>
      fast.spec.ports === bySchema.spec.ports ? undefined : "ports not the shared list",
  });
}

/** A field table with one field's check or default replaced. */
function broken(key: string, change: Partial<ShapeField>): ShapeField[] {
  return SERVICE_SPEC_FIELDS.map((f) => (f.key === key ? { ...f, ...change } : f));
}

describe("validateServiceInShape", () => {
  test("agrees with the schema on 4,000 generated Services, and both outcomes are common", () => {
    const { disagreements, inShape, rejected } = compare(4000);
    assert.deepEqual(disagreements.slice(0, 3), []);
    assert.ok(inShape > 1000, `in shape ${inShape} of 4000`);
    assert.ok(rejected > 800, `rejected by the schema ${rejected} of 4000`);
  });

  test("catches a checker that accepts any clusterIP", () => {
    const found = compare(4000, broken("clusterIP", { check: (v) => v })).disagreements;
    assert.ok(
      found.some((d) => d.includes("the schema rejects")),
      found[0],
    );
  });

  test("catches a checker that forgets a default", () => {
    const found = compare(1000, broken("externalTrafficPolicy", { fallback: undefined })).disagreements;
    assert.ok(
      found.some((d) => d.includes("vs the schema's")),
      found[0],
    );
  });

  test("catches a checker with the fields out of the schema's order", () => {
    const reordered = [...SERVICE_SPEC_FIELDS].reverse();
    const found = compare(1000, reordered).disagreements;
    assert.ok(
      found.some((d) => d.includes("vs the schema's")),
      found[0],
    );
  });

  test("validateResource takes it: defaults filled, ports shared, the parsed labels kept", () => {
    const labels = { app: "web" };
    const raw = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", labels },
      spec: { ports: [{ port: 80, nodePort: 30080 }], type: "NodePort", sessionAffinity: "ClientIP" },
    };
    const result = validateResource(raw);
    assert.ok(result.ok);
    const svc = result.resource as unknown as Record<string, Record<string, unknown>>;
    assert.equal(svc["metadata"]!["labels"], labels);
    assert.equal(svc["metadata"]!["namespace"], "default");
    assert.deepEqual(svc["spec"]!["ports"], [{ protocol: "TCP", port: 80, nodePort: 30080, targetPort: 80 }]);
    assert.ok(Object.isFrozen(svc["spec"]!["ports"]));
    assert.deepEqual(svc["spec"]!["sessionAffinityConfig"], { clientIP: { timeoutSeconds: 10800 } });
  });

  test("a Service it leaves is still worded by the schema", () => {
    const result = validateResource(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "shop" },
        spec: { type: "NodePort", ports: [{ port: 80, nodePort: 20000 }] },
      },
      OPTIONS,
    );
    assert.ok(!result.ok);
    assert.equal(result.error.field, "spec.ports[0].nodePort");
    assert.match(result.error.reason, /node port range 30000-32767/);
  });
});
