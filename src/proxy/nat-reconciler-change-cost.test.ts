/**
 * The fast path's cost is the change's, not the cluster's: one EndpointSlice change among 1,000
 * Services reads that Service alone (through the lookup), reads no NAT map back, writes only its
 * own entries, and — with deferCleanUp, as the agent runs it — walks sl_ct and sl_affinity once,
 * later, for every change queued before the walk. Counted in calls, not timed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SL_CT_F_RESET } from "../datapath/abi/abi.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
import { NatReconciler } from "./nat-reconciler.ts";
import type { NatServiceLookup } from "./nat-reconciler.ts";
import type { NatMapBackend } from "./nat-map-backend.ts";

const NODE = { nodeName: "node-1", nodeAddresses: ["198.18.0.1"] };
const N = 1000;

const ip = (n: number): string => `198.18.${(n >> 8) & 255}.${n & 255}`;
const name = (i: number): string => `svc-${i}`;

function cluster(): { services: Service[]; slices: Map<string, EndpointSlice> } {
  const services: Service[] = [];
  const slices = new Map<string, EndpointSlice>();
  for (let i = 0; i < N; i++) {
    services.push(
      service(name(i), {
        type: "ClusterIP",
        clusterIP: `198.19.${i >> 8}.${i & 255}`,
        ports: [{ port: 80, targetPort: 8080 }],
      }),
    );
    slices.set(
      `default/${name(i)}`,
      slice(
        name(i),
        Array.from({ length: 10 }, (_, j) => ({ addr: ip(4096 + i * 10 + j), node: "node-2", ready: true })),
      ),
    );
  }
  return { services, slices };
}

/** What the reconciler asked of the maps: reads of whole maps, and writes. */
function countedBackend(inner: NatMapBackend): {
  backend: NatMapBackend;
  reads: Map<string, number>;
  writes: () => number;
} {
  const reads = new Map<string, number>();
  let writes = 0;
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function" || typeof prop !== "string") return v;
      return (...args: unknown[]) => {
        if (["frontends", "backends", "sourceRanges", "conntrack", "affinity"].includes(prop))
          reads.set(prop, (reads.get(prop) ?? 0) + 1);
        else if (prop.startsWith("put") || prop.startsWith("delete") || prop.startsWith("reset")) writes++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, reads, writes: () => writes };
}

function setUp(deferred: (() => void)[]) {
  const { services, slices } = cluster();
  const maps = new InMemoryNatMapBackend();
  const counted = countedBackend(maps);
  const reconciler = new NatReconciler(counted.backend, { deferCleanUp: (work) => void deferred.push(work) });
  reconciler.sync({ services, endpointSlices: [...slices.values()], ...NODE });
  reconciler.prepare();
  const asked: string[] = [];
  const lookup: NatServiceLookup = {
    service: (n) => (asked.push(`service ${n}`), services.find((s) => `default/${s.metadata.name}` === n)),
    slices: (n) => (asked.push(`slices ${n}`), slices.has(n) ? [slices.get(n)!] : []),
  };
  counted.reads.clear();
  return { reconciler, slices, lookup, asked, maps, counted };
}

/** Every endpoint of Service i moved to new addresses (so every backend is removed). */
function moveEndpoints(slices: Map<string, EndpointSlice>, i: number, to: number): void {
  slices.set(
    `default/${name(i)}`,
    slice(
      name(i),
      Array.from({ length: 10 }, (_, j) => ({ addr: ip(to + j), node: "node-2", ready: true })),
    ),
  );
}

describe("NatReconciler.syncServices at 1,000 Services", () => {
  test("one EndpointSlice change reads its Service alone and writes only its 10 backends", () => {
    const deferred: (() => void)[] = [];
    const { reconciler, slices, lookup, asked, counted } = setUp(deferred);
    const writesBefore = counted.writes();
    moveEndpoints(slices, 500, 60_000);
    const r = reconciler.syncServices(["default/svc-500"], lookup, NODE);
    assert.ok(r !== undefined, "the fast path must be taken");
    assert.deepEqual(asked, ["service default/svc-500", "slices default/svc-500"]);
    assert.deepEqual([...counted.reads], [], "no map is read back on the change path");
    assert.equal(counted.writes() - writesBefore, 10, "the 10 backend slots of svc-500, nothing else");
    assert.deepEqual([r.backends.updated, r.frontends.updated], [10, 0]);
  });

  test("the clean-up after removed backends is one deferred walk for every change queued before it", () => {
    const deferred: (() => void)[] = [];
    const { reconciler, slices, lookup, maps, counted } = setUp(deferred);
    // A flow to a backend that is about to go: its conntrack entry must be reset by the walk.
    maps.putConntrack({
      a: { addr: "198.18.250.1", port: 40000 },
      b: { addr: "198.19.1.244", port: 80 },
      proto: 6,
      type: "nat-fwd",
      nat: { addr: ip(4096 + 500 * 10), port: 8080 },
    });
    moveEndpoints(slices, 500, 60_000);
    moveEndpoints(slices, 501, 60_100);
    assert.ok(reconciler.syncServices(["default/svc-500"], lookup, NODE) !== undefined);
    assert.ok(reconciler.syncServices(["default/svc-501"], lookup, NODE) !== undefined);
    assert.deepEqual([...counted.reads], [], "nothing walked on the change path");
    assert.equal(deferred.length, 1, "one walk queued for both changes");
    deferred[0]!();
    assert.deepEqual([...counted.reads].sort(), [
      ["affinity", 1],
      ["conntrack", 1],
    ]);
    assert.deepEqual(
      [...maps.conntrack()].map((e) => e.flags),
      [SL_CT_F_RESET],
      "the TCP flow to the removed backend is flagged for a reset",
    );
  });
});
