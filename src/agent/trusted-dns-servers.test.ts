import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDnsTrustedServer, type DnsTrustedServer } from "../model/dns-trusted-server.ts";
import type { EndpointSlice } from "../model/endpoint-slice.ts";
import type { Service } from "../model/service.ts";
import { trustedDnsServers, type TrustedDnsSource } from "./trusted-dns-servers.ts";

const services: Record<string, unknown> = {
  "kube-system/kube-dns": { spec: { clusterIP: "198.18.128.10", clusterIPs: ["198.18.128.10"] } },
  "dns/coredns": { spec: { clusterIP: "198.18.128.20" } },
};
const cache: TrustedDnsSource = {
  find: (_kind, name, namespace) => services[`${namespace}/${name}`] as Service | undefined,
  endpointSlicesOf: (svc) =>
    svc === "kube-system/kube-dns"
      ? ([{ endpoints: [{ addresses: ["198.18.1.53"] }, { addresses: ["198.18.2.53"] }] }] as EndpointSlice[])
      : [],
};

const parsed = (...entries: string[]): DnsTrustedServer[] =>
  entries.map((e) => {
    const r = parseDnsTrustedServer(e);
    if ("problem" in r) throw new Error(r.problem);
    return r;
  });

test("default: kube-system/kube-dns's ClusterIP and endpoints, on any port; nobody else", () => {
  const t = trustedDnsServers(cache);
  for (const ip of ["198.18.128.10", "198.18.1.53", "198.18.2.53"]) assert.ok(t.has(ip, 53), ip);
  assert.ok(t.has("198.18.1.53", 5353), "an endpoint answers from its target port");
  assert.ok(!t.has("198.18.1.66", 53), "a pod that is not the DNS service is not trusted");
  assert.ok(!t.has("198.18.128.20", 53), "another Service is not trusted by default");
});

test("dnsTrustedServers entries: an IP on port 53, IP:port on that port only, a named Service", () => {
  const t = trustedDnsServers(
    cache,
    parsed("198.18.0.10", "198.18.0.11:5353", "[fd00::a]:53", "k8s-service:dns/coredns"),
  );
  assert.ok(t.has("198.18.0.10", 53));
  assert.ok(!t.has("198.18.0.10", 5353), "an IP without a port means port 53");
  assert.ok(t.has("198.18.0.11", 5353));
  assert.ok(!t.has("198.18.0.11", 53));
  assert.ok(t.has("fd00::a", 53));
  assert.ok(t.has("198.18.128.20", 53), "k8s-service:<ns>/<name>");
  assert.ok(!t.has("198.18.128.10", 53), "kube-dns is trusted only when listed");
});

test("k8s-service:<name> means kube-system", () => {
  assert.deepEqual(parsed("k8s-service:kube-dns"), [
    { kind: "k8s-service", namespace: "kube-system", name: "kube-dns" },
  ]);
});
