/**
 * Model-based test of the fast path: for random sequences of Service and EndpointSlice adds,
 * updates and deletes, fed through a ClusterCache as the agent feeds it, NatReconciler.syncServices
 * of the changed Services (falling back to sync() when it declines) leaves the NAT maps exactly
 * as a second reconciler that runs the full sync() of the whole cluster at every step: the same
 * entries, ids included, the same problems and health checks; and the fast path must actually be
 * taken, or the test proves nothing. Also run with bounded maps (capacity 30, which these
 * sequences never fill; nat-reconciler-tight-maps.test.ts drives full syncs at 6–18 entries).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NAMES, NODE, prng, randomService, randomSlice } from "../../test/support/random-services.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import type { DatastoreEvent } from "../datastore/datastore.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import type { Resource } from "../model/resource.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { NatReconciler } from "./nat-reconciler.ts";
import type { NatServiceLookup } from "./nat-reconciler.ts";

const keyOf = (r: Resource) => ({
  group: r.kind === "EndpointSlice" ? "discovery.k8s.io" : "",
  kind: r.kind,
  namespace: (r.metadata as { namespace?: string }).namespace ?? "default",
  name: r.metadata.name,
});

/** The agent's lookup: indexed reads of the cache (src/agent/proxy-service-sync.ts does the same). */
const lookupOf = (cache: ClusterCache): NatServiceLookup => ({
  service: (name) => cache.get("Service", name),
  slices: (name) => cache.endpointSlicesOf(name),
});

function contents(b: InMemoryNatMapBackend): unknown {
  return {
    frontends: [...b.frontends()].map(([k, v]) => JSON.stringify([k, v])).sort(),
    backends: [...b.backends()].map(([k, v]) => JSON.stringify([k, v])).sort(),
    sourceRanges: [...b.sourceRanges()].map((k) => JSON.stringify(k)).sort(),
  };
}

interface RunStats {
  fast: number;
  steps: number;
}

function runSequence(seed: number, steps: number, capacity: number, stats: RunStats): void {
  const rnd = prng(seed);
  const cache = new ClusterCache();
  cache.apply({ type: "synced" });
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice>();
  const cap = { frontends: capacity, backends: capacity, sourceRanges: capacity };
  const fastMaps = new InMemoryNatMapBackend({ capacity: cap });
  const fullMaps = new InMemoryNatMapBackend({ capacity: cap });
  const fast = new NatReconciler(fastMaps);
  const full = new NatReconciler(fullMaps);
  const node = { nodeName: NODE, nodeAddresses: ["10.0.0.1"] };
  const emit = (e: DatastoreEvent): void => void cache.apply(e);
  for (let step = 0; step < steps; step++) {
    // One to three changes per step: the agent hands over what one turn of its loop received.
    const changed = new Set<string>();
    const n = 1 + Math.floor(rnd() * 3);
    for (let c = 0; c < n; c++) {
      const name = NAMES[Math.floor(rnd() * NAMES.length)] as string;
      const roll = rnd();
      if (roll < 0.3) {
        const svc = randomService(rnd, name);
        const before = services.get(name);
        services.set(name, svc);
        emit(
          before
            ? { type: "updated", key: keyOf(svc), resource: svc, previous: before, source: "t" }
            : { type: "added", key: keyOf(svc), resource: svc, source: "t" },
        );
        changed.add(`default/${name}`);
      } else if (roll < 0.4) {
        const before = services.get(name);
        if (before === undefined) continue;
        services.delete(name);
        emit({ type: "deleted", key: keyOf(before), previous: before });
        changed.add(`default/${name}`);
      } else if (roll < 0.9) {
        const sliceName = `${name}-${Math.floor(rnd() * 2)}`;
        // Now and then a slice moves to another Service (its label changes): both are named.
        const owner = rnd() < 0.1 ? (NAMES[Math.floor(rnd() * NAMES.length)] as string) : name;
        const s = {
          ...randomSlice(rnd, owner, step % 200),
          metadata: { ...randomSlice(rnd, owner, 0).metadata, name: sliceName },
        };
        const before = slices.get(sliceName);
        slices.set(sliceName, s as EndpointSlice);
        emit(
          before
            ? {
                type: "updated",
                key: keyOf(s as Resource),
                resource: s as Resource,
                previous: before,
                source: "t",
              }
            : { type: "added", key: keyOf(s as Resource), resource: s as Resource, source: "t" },
        );
        changed.add(`default/${owner}`);
        if (before) changed.add(`default/${before.metadata.labels?.["kubernetes.io/service-name"]}`);
      } else {
        const sliceName = `${name}-${Math.floor(rnd() * 2)}`;
        const before = slices.get(sliceName);
        if (before === undefined) continue;
        slices.delete(sliceName);
        emit({ type: "deleted", key: keyOf(before as Resource), previous: before as Resource });
        changed.add(`default/${before.metadata.labels?.["kubernetes.io/service-name"]}`);
      }
    }
    const input = {
      services: cache.list("Service"),
      endpointSlices: cache.list("EndpointSlice"),
      ...node,
    };
    const where = `seed ${seed}, capacity ${capacity}, step ${step}`;
    const fullResult = full.sync(input);
    let fastResult = fast.syncServices(changed, lookupOf(cache), node);
    if (fastResult !== undefined) stats.fast++;
    else fastResult = fast.sync(input);
    stats.steps++;
    assert.deepEqual(contents(fastMaps), contents(fullMaps), `${where}: map contents differ`);
    assert.deepEqual(fastResult.problems, fullResult.problems, `${where}: problems differ`);
    assert.deepEqual(fastResult.healthChecks, fullResult.healthChecks, `${where}: health checks differ`);
    assert.deepEqual(fastResult.notProgrammed, fullResult.notProgrammed, `${where}: not programmed differs`);
  }
}

describe("NatReconciler.syncServices (the fast path)", () => {
  for (const capacity of [Infinity, 30]) {
    test(`leaves the maps as a full sync does after random changes (capacity ${capacity})`, () => {
      const base = Number(process.env["SLUICE_PROPERTY_SEED"] ?? 20261205);
      const stats = { fast: 0, steps: 0 };
      for (let i = 0; i < 25; i++) {
        const seed = base + i;
        try {
          runSequence(seed, 60, capacity, stats);
        } catch (err) {
          console.error(`fast path property failed with seed ${seed} (SLUICE_PROPERTY_SEED=${seed})`);
          throw err;
        }
      }
      // Random Services collide on frontends often, so it declines often; it must still work.
      assert.ok(stats.fast > stats.steps / 5, `fast path taken in ${stats.fast} of ${stats.steps} steps`);
    });
  }

  test("declines before any full sync, and for another node identity", () => {
    const cache = new ClusterCache();
    cache.apply({ type: "synced" });
    const r = new NatReconciler(new InMemoryNatMapBackend());
    const node = { nodeName: NODE, nodeAddresses: ["10.0.0.1"] };
    assert.equal(r.syncServices(["default/a"], lookupOf(cache), node), undefined);
    r.sync({ services: [], endpointSlices: [], ...node });
    assert.notEqual(r.syncServices(["default/a"], lookupOf(cache), node), undefined);
    assert.equal(r.syncServices(["default/a"], lookupOf(cache), { ...node, nodeAddresses: [] }), undefined);
  });
});
