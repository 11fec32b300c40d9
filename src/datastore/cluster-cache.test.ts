import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { prng } from "../../test/support/random-services.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { Resource } from "../model/resource.ts";
import { resourceKeyId } from "../model/resource-key.ts";
import { validateResource } from "../model/validate-resource.ts";
import { ClusterCache } from "./cluster-cache.ts";

function keyOf(r: Resource) {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return { group: "", kind: r.kind, name: r.metadata.name, ...(ns !== undefined ? { namespace: ns } : {}) };
}
const add = (c: ClusterCache, r: Resource): boolean =>
  c.apply({ type: "added", key: keyOf(r), resource: r, source: "test" });
const update = (c: ClusterCache, r: Resource, previous: Resource): boolean =>
  c.apply({ type: "updated", key: keyOf(r), resource: r, previous, source: "test" });

describe("ClusterCache", () => {
  test("get() finds a resource by kind and namespace/name, a missing namespace as default", () => {
    const c = new ClusterCache();
    const web = service("web", { clusterIP: "198.18.0.10", ports: [{ port: 80 }] });
    add(c, web);
    assert.equal(c.get("Service", "default/web"), web);
    assert.equal(c.get("Service", "default/other"), undefined);
    assert.equal(c.get("EndpointSlice", "default/web"), undefined);
  });

  test("endpointSlicesOf keeps first-added order through updates; a relabelled slice moves", () => {
    const c = new ClusterCache();
    const a = slice("web", [{ addr: "198.18.1.1" }], { name: "web-a" });
    const b = slice("web", [{ addr: "198.18.1.2" }], { name: "web-b" });
    const other = slice("api", [{ addr: "198.18.2.1" }], { name: "api-a" });
    add(c, a);
    add(c, other);
    add(c, b);
    assert.deepEqual(c.endpointSlicesOf("default/web"), [a, b]);
    const a2 = slice("web", [{ addr: "198.18.1.3" }], { name: "web-a" });
    update(c, a2, a);
    assert.deepEqual(c.endpointSlicesOf("default/web"), [a2, b], "an update keeps its place");
    assert.deepEqual(
      c.list("EndpointSlice").map((s) => s.metadata.name),
      ["web-a", "api-a", "web-b"],
    );
    const moved = slice("api", [{ addr: "198.18.1.2" }], { name: "web-b" });
    update(c, moved, b);
    assert.deepEqual(c.endpointSlicesOf("default/web"), [a2]);
    assert.deepEqual(c.endpointSlicesOf("default/api"), [other, moved]);
    c.apply({ type: "deleted", key: keyOf(a2), previous: a2 });
    assert.deepEqual(c.endpointSlicesOf("default/web"), []);
  });

  test("endpointSlicesOf is list()'s slices of that Service, in list() order, over 2,000 random changes", () => {
    const rnd = prng(7);
    const c = new ClusterCache();
    const held = new Map<string, Resource>();
    const services = ["web", "api", "db"];
    for (let step = 0; step < 2000; step++) {
      const name = `s${Math.floor(rnd() * 8)}`;
      const before = held.get(name);
      if (before !== undefined && rnd() < 0.3) {
        c.apply({ type: "deleted", key: keyOf(before), previous: before });
        held.delete(name);
      } else {
        const svc = services[Math.floor(rnd() * services.length)]!;
        const next = slice(svc, [{ addr: `198.18.1.${step % 250}` }], { name });
        if (before === undefined) add(c, next);
        else update(c, next, before);
        held.set(name, next);
      }
      for (const svc of services) {
        const expected = c
          .list("EndpointSlice")
          .filter((s) => s.metadata.labels?.["kubernetes.io/service-name"] === svc);
        assert.deepEqual(c.endpointSlicesOf(`default/${svc}`), expected, `${svc} after step ${step}`);
      }
    }
  });

  test("get() finds each resource by kind and namespace/name over 1,500 random changes, NetworkPolicy's two groups too", () => {
    const rnd = prng(11);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const manifest = (): Record<string, unknown> => {
      const name = pick(["a", "b", "c"]);
      const namespace = pick(["default", "shop"]);
      const port = 80 + Math.floor(rnd() * 3);
      return pick([
        { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: { ports: [{ port }] } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { p: String(port) } } },
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: `k-${name}`, namespace },
          spec: { podSelector: { matchLabels: { p: String(port) } } },
        },
        {
          apiVersion: "projectcalico.org/v3",
          kind: "NetworkPolicy",
          metadata: { name: `c-${name}`, namespace },
          spec: { selector: `p == '${port}'` },
        },
      ]);
    };
    const c = new ClusterCache();
    const held = new Map<string, Resource>();
    for (let step = 0; step < 1500; step++) {
      const v = validateResource(manifest());
      assert.ok(v.ok, v.ok ? "" : v.error.message);
      const id = resourceKeyId(v.key);
      const before = held.get(id);
      if (before !== undefined && rnd() < 0.3) {
        c.apply({ type: "deleted", key: v.key, previous: before });
        held.delete(id);
      } else {
        if (before === undefined) c.apply({ type: "added", key: v.key, resource: v.resource, source: "t" });
        else c.apply({ type: "updated", key: v.key, resource: v.resource, previous: before, source: "t" });
        held.set(id, v.resource);
      }
      for (const kind of ["Service", "Namespace", "NetworkPolicy"] as const)
        for (const ns of ["default", "shop"])
          for (const name of ["a", "b", "c", "k-a", "k-b", "c-c"]) {
            const expected = [...held.values()].find(
              (r) =>
                r.kind === kind &&
                r.metadata.name === name &&
                ((r.metadata as { namespace?: string }).namespace ?? "default") === ns,
            );
            assert.equal(c.get(kind, `${ns}/${name}`), expected, `${kind} ${ns}/${name} after step ${step}`);
          }
    }
    assert.equal(c.get("Service", "a"), undefined, "no slash: nothing");
  });

  test("generationOf moves per kind", () => {
    const c = new ClusterCache();
    add(c, service("web", { clusterIP: "198.18.0.10", ports: [{ port: 80 }] }));
    assert.equal(c.generationOf("Service"), 1);
    assert.equal(c.generationOf("EndpointSlice"), 0);
  });
});
