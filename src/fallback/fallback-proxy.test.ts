import assert from "node:assert/strict";
import { test } from "node:test";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { Resource } from "../model/resource.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { FallbackProxy } from "./fallback-proxy.ts";
import { handOverToBpfScript } from "./nft-table-scripts.ts";

function cacheWith(resources: readonly Resource[]): ClusterCache {
  const cache = new ClusterCache();
  for (const resource of resources)
    cache.apply({
      type: "added",
      key: {
        group: resource.kind === "EndpointSlice" ? "discovery.k8s.io" : "",
        kind: resource.kind,
        namespace: "default",
        name: resource.metadata.name,
      },
      resource,
      source: "test",
    });
  cache.apply({ type: "synced" });
  return cache;
}

const ctx = { nodeName: "node-a", nodeAddresses: ["198.18.0.1"] };

test("FallbackProxy.sync() applies the table once per change, as one replace script, and not again for the same cluster", async () => {
  const scripts: string[] = [];
  const proxy = new FallbackProxy(async (s) => void scripts.push(s));
  const web = service("web", { clusterIP: "198.19.0.10", ports: [{ port: 80, targetPort: 8080 }] });
  const cache = cacheWith([web, slice("web", [{ addr: "198.18.1.5", node: "node-a" }])]);
  assert.equal((await proxy.sync(cache, ctx)).changed, true);
  assert.equal((await proxy.sync(cache, ctx)).changed, false);
  assert.equal(scripts.length, 1);
  assert.match(
    scripts[0]!,
    /^add table ip sluice-proxy\ndelete table ip sluice-proxy\ntable ip sluice-proxy \{/,
  );
  assert.match(scripts[0]!, /dnat to 198\.18\.1\.5:8080/);
});

test("FallbackProxy.sync() retries a failed apply on the next pass; remove() deletes the table once", async () => {
  const scripts: string[] = [];
  let fail = true;
  const proxy = new FallbackProxy(async (s) => {
    if (fail) throw new Error("run nft -f -: boom");
    scripts.push(s);
  });
  const cache = cacheWith([service("web", { clusterIP: "198.19.0.10", ports: [{ port: 80 }] })]);
  await assert.rejects(proxy.sync(cache, ctx), /boom/);
  fail = false;
  assert.equal((await proxy.sync(cache, ctx)).changed, true);
  assert.equal(await proxy.remove(), true);
  assert.equal(await proxy.remove(), false);
  assert.deepEqual(scripts.slice(1), [handOverToBpfScript()]);
  assert.match(
    scripts[0]!,
    /\nadd table ip sluice-nat-hooks\ndelete table ip sluice-nat-hooks\n$/,
    "the fallback's table takes over the hooks",
  );
});
