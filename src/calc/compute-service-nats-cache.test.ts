/**
 * computeServiceNats keeps its NatCache to the current Services: a deleted Service's entry goes.
 * It builds the set of current names for that only when the cache holds more entries than there
 * are distinct names (every current name has an entry after the loop), so these cases pin both
 * the pruning and the count it relies on, duplicate names included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { computeServiceNats } from "./compute-service-nats.ts";
import { NatCache } from "./nat-cache.ts";
import { ServiceIdAllocator } from "./service-id-allocator.ts";

const svc = (name: string, ip: string): Service =>
  service(name, { clusterIP: ip, ports: [{ name: "http", port: 80, targetPort: 8080 }] });
const sl = (name: string, addr: string): EndpointSlice =>
  slice(name, [{ addr }], { name: `${name}-x`, ports: [{ name: "http", port: 8080 }] });
const input = (services: Service[], slices: EndpointSlice[]) => ({
  services,
  endpointSlices: slices,
  nodeName: "node-1",
  nodeAddresses: ["10.0.0.1"],
});

test("a deleted Service's cache entry goes; the others stay", () => {
  const cache = new NatCache();
  const ids = new ServiceIdAllocator();
  const [a, b, c] = [svc("a", "198.19.0.1"), svc("b", "198.19.0.2"), svc("c", "198.19.0.3")];
  const slices = [sl("a", "10.1.0.1"), sl("b", "10.1.0.2"), sl("c", "10.1.0.3")];
  computeServiceNats(input([a, b, c], slices), ids, cache);
  assert.equal(cache.size, 3);
  const kept = cache.get("default/a");
  computeServiceNats(input([c, a], slices), ids, cache);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("default/b"), undefined);
  assert.equal(cache.get("default/a"), kept, "an unchanged Service keeps its entry");
});

test("two Services of one name: still only the current names are kept", () => {
  const cache = new NatCache();
  const ids = new ServiceIdAllocator();
  const slices = [sl("a", "10.1.0.1"), sl("b", "10.1.0.2"), sl("c", "10.1.0.3")];
  computeServiceNats(
    input([svc("a", "198.19.0.1"), svc("b", "198.19.0.2"), svc("c", "198.19.0.3")], slices),
    ids,
    cache,
  );
  // Three Services, two names: as many Services as cache entries, yet "c" is gone.
  const out = computeServiceNats(
    input([svc("a", "198.19.0.1"), svc("a", "198.19.0.9"), svc("b", "198.19.0.2")], slices),
    ids,
    cache,
  );
  assert.equal(out.length, 3);
  assert.equal(cache.get("default/c"), undefined);
  assert.equal(cache.size, 2);
});
