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
import type { CtEntryView } from "../calc/index.ts";

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
        if (
          ["frontends", "backends", "sourceRanges", "conntrack", "conntrackOffLoop", "affinity"].includes(
            prop,
          )
        )
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

/** A TCP flow from a client through Service i's ClusterIP to its first backend, as sl_ct holds it. */
function flowTo(maps: InMemoryNatMapBackend, i: number): void {
  maps.putConntrack({
    a: { addr: `198.18.250.${i & 255}`, port: 40000 },
    b: { addr: `198.19.${i >> 8}.${i & 255}`, port: 80 },
    proto: 6,
    type: "nat-fwd",
    nat: { addr: ip(4096 + i * 10), port: 8080 },
  });
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

  test("the clean-up after removed backends is one deferred walk for every change queued before it", async () => {
    const deferred: (() => void)[] = [];
    const { reconciler, slices, lookup, maps, counted } = setUp(deferred);
    // A flow to a backend that is about to go: its conntrack entry must be reset by the walk.
    flowTo(maps, 500);
    moveEndpoints(slices, 500, 60_000);
    moveEndpoints(slices, 501, 60_100);
    assert.ok(reconciler.syncServices(["default/svc-500"], lookup, NODE) !== undefined);
    assert.ok(reconciler.syncServices(["default/svc-501"], lookup, NODE) !== undefined);
    assert.deepEqual([...counted.reads], [], "nothing walked on the change path");
    assert.equal(deferred.length, 1, "one walk queued for both changes");
    deferred[0]!();
    await reconciler.idle();
    assert.deepEqual([...counted.reads].sort(), [
      ["affinity", 1],
      ["conntrackOffLoop", 1],
    ]);
    assert.deepEqual(
      [...maps.conntrack()].map((e) => e.flags),
      [SL_CT_F_RESET],
      "the TCP flow to the removed backend is flagged for a reset",
    );
  });

  test("sl_ct is read off the loop, one walk at a time: a change during the walk gets the next one", async () => {
    const deferred: (() => void)[] = [];
    const { reconciler, slices, lookup, maps } = setUp(deferred);
    // The walk's read is held open until released, as a worker thread's batches would be.
    const reads: { release: () => void }[] = [];
    const inner = maps.conntrackOffLoop.bind(maps);
    maps.conntrackOffLoop = () =>
      new Promise<Iterable<CtEntryView>>((resolve) => reads.push({ release: () => resolve(inner()) }));
    flowTo(maps, 500);
    flowTo(maps, 501);
    moveEndpoints(slices, 500, 60_000);
    assert.ok(reconciler.syncServices(["default/svc-500"], lookup, NODE) !== undefined);
    deferred.shift()!();
    assert.equal(reads.length, 1, "the first walk is reading sl_ct");
    // The next change is applied while that read is under way, and queues its own walk.
    moveEndpoints(slices, 501, 60_100);
    const r = reconciler.syncServices(["default/svc-501"], lookup, NODE);
    assert.ok(r !== undefined, "the change is not held up by the walk");
    assert.equal(r.backends.updated, 10);
    deferred.shift()!();
    assert.equal(reads.length, 1, "no second walk while the first one reads");
    reads[0]!.release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(deferred.length, 1, "the queued clean-up is deferred again once the first walk ends");
    deferred.shift()!();
    assert.equal(reads.length, 2, "then it walks");
    reads[1]!.release();
    await reconciler.idle();
    assert.deepEqual(
      [...maps.conntrack()].map((e) => e.flags),
      [SL_CT_F_RESET, SL_CT_F_RESET],
      "both flows to removed backends are flagged for a reset",
    );
  });

  test("a backend that serves again while sl_ct is read keeps its flows", async () => {
    const deferred: (() => void)[] = [];
    const { reconciler, slices, lookup, maps } = setUp(deferred);
    // The first read is held open until released; the later ones (the moved-away addresses' walk) are not.
    let release: (() => void) | undefined;
    const inner = maps.conntrackOffLoop.bind(maps);
    maps.conntrackOffLoop = () =>
      release === undefined
        ? new Promise<Iterable<CtEntryView>>((resolve) => (release = () => resolve(inner())))
        : inner();
    flowTo(maps, 500);
    const before = slices.get("default/svc-500")!;
    moveEndpoints(slices, 500, 60_000);
    assert.ok(reconciler.syncServices(["default/svc-500"], lookup, NODE) !== undefined);
    deferred.shift()!();
    assert.ok(release !== undefined, "the walk is reading sl_ct");
    slices.set("default/svc-500", before);
    assert.ok(reconciler.syncServices(["default/svc-500"], lookup, NODE) !== undefined);
    release();
    await reconciler.idle();
    assert.deepEqual(
      [...maps.conntrack()].map((e) => (e.flags ?? 0) & SL_CT_F_RESET),
      [0],
      "the flow to the backend that came back is left alone",
    );
  });
});
