/** endpointSlicesFor: what the EndpointSlice controller would write for the netpol lab's Services. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/model/pod.ts";
import type { Service } from "../../src/model/service.ts";
import { pod, valid } from "../support/policy-resources.ts";
import { endpointSlicesFor } from "./endpoint-slices.ts";

const svc = valid({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "svc-a", namespace: "x" },
  spec: {
    clusterIP: "198.18.130.10",
    selector: { pod: "a" },
    ports: [
      { name: "p80", port: 80, protocol: "TCP", targetPort: "serve-80-tcp" },
      { name: "p81", port: 81, protocol: "UDP", targetPort: 8181 },
    ],
  },
}) as Service;

test("endpointSlicesFor: selected pods of the namespace, named targetPorts resolved per pod, grouped by ports", () => {
  const pods = [
    pod("x", "a1", "198.18.64.2", { pod: "a" }, { ports: [{ name: "serve-80-tcp", containerPort: 80 }] }),
    pod("x", "a2", "198.18.64.3", { pod: "a" }, { ports: [{ name: "serve-80-tcp", containerPort: 8080 }] }),
    pod("x", "a3", "198.18.64.4", { pod: "a" }), // no named port: only the numeric port
    pod("x", "b", "198.18.64.5", { pod: "b" }, { ports: [{ name: "serve-80-tcp", containerPort: 80 }] }),
    pod("y", "a", "198.18.65.2", { pod: "a" }, { ports: [{ name: "serve-80-tcp", containerPort: 80 }] }),
  ] as Pod[];
  const slices = endpointSlicesFor(svc, pods) as Array<{
    metadata: { labels: Record<string, string> };
    endpoints: Array<{ addresses: string[]; nodeName?: string }>;
    ports: unknown[];
  }>;
  assert.deepEqual(
    slices.map((s) => [s.endpoints.map((e) => e.addresses[0]), s.ports]),
    [
      [
        ["198.18.64.2"],
        [
          { name: "p80", port: 80, protocol: "TCP" },
          { name: "p81", port: 8181, protocol: "UDP" },
        ],
      ],
      [
        ["198.18.64.3"],
        [
          { name: "p80", port: 8080, protocol: "TCP" },
          { name: "p81", port: 8181, protocol: "UDP" },
        ],
      ],
      [["198.18.64.4"], [{ name: "p81", port: 8181, protocol: "UDP" }]],
    ],
  );
  assert.equal(slices[0]!.metadata.labels["kubernetes.io/service-name"], "svc-a");
  assert.equal(slices[0]!.endpoints[0]!.nodeName, "node-1");
  // Every slice is valid as the datastore would take it.
  for (const s of slices) valid(s);
});

test("endpointSlicesFor: a Service without a selector gets no slices", () => {
  const bare = { ...svc, spec: { ...svc.spec, selector: undefined } } as unknown as Service;
  assert.deepEqual(endpointSlicesFor(bare, [pod("x", "a", "198.18.64.2", { pod: "a" }) as Pod]), []);
});
