import assert from "node:assert/strict";
import { test } from "node:test";
import { ipv4ToNumber } from "../../model/ipv4.ts";
import {
  ConntrackMap,
  ctEndpointId,
  ctKeyOf,
  decodeCtEntry,
  encodeCtEntry,
  type CtEntry,
} from "./conntrack-map.ts";
import { batchedMap, memoryMap } from "../../../test/support/raw-maps.ts";

const entry: CtEntry = {
  a: { addr: "10.0.0.1", port: 40000 },
  b: { addr: "10.0.0.9", port: 80 },
  proto: 6,
  type: "nat-rev",
  flags: 1,
  legA: 3,
  legB: 3,
  createdNs: 5n,
  lastSeenNs: 9n,
  nat: { addr: "10.96.0.1", port: 80 },
  tunIp: "0.0.0.0",
  sent: { a: { packets: 3n, bytes: 180n }, b: { packets: 2n, bytes: 1500n } },
};

test("ctKeyOf() puts the numerically lower endpoint first, so both directions share one key", () => {
  const fwd = ctKeyOf({ src: "10.0.0.9", dst: "10.0.0.1", sport: 80, dport: 40000, proto: 6 });
  const rev = ctKeyOf({ src: "10.0.0.1", dst: "10.0.0.9", sport: 40000, dport: 80, proto: 6 });
  assert.deepEqual(fwd, rev);
  assert.equal(fwd.addrA, 0x0a000001);
  const same = ctKeyOf({ src: "10.0.0.1", dst: "10.0.0.1", sport: 9, dport: 3, proto: 17 });
  assert.deepEqual([same.portA, same.portB], [3, 9], "equal addresses: lower port first");
});

test("encodeCtEntry() and decodeCtEntry() round-trip, addresses network order on the wire", () => {
  const [k, v] = encodeCtEntry(entry);
  assert.deepEqual([...k.subarray(0, 4)], [10, 0, 0, 1]);
  assert.deepEqual(decodeCtEntry(k, v), entry);
});

test("ConntrackMap.get() finds an entry from either direction's tuple", () => {
  const ct = new ConntrackMap(memoryMap());
  ct.put(entry);
  assert.deepEqual(ct.get({ src: "10.0.0.9", dst: "10.0.0.1", sport: 80, dport: 40000, proto: 6 }), entry);
  ct.delete({ src: "10.0.0.1", dst: "10.0.0.9", sport: 40000, dport: 80, proto: 6 });
  assert.deepEqual([...ct.entries()], []);
});

test("natEntriesTouching(): the NAT_FWD entries to one of the endpoints and the NAT_REV entries from one, judged on the bytes; the same without batches and off the loop", async () => {
  const types = ["normal", "nat-fwd", "nat-rev"] as const;
  const addrs = ["198.18.0.1", "198.18.0.2", "198.18.0.3", "10.96.0.10"];
  const ports = [80, 8080, 40000];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const entries: CtEntry[] = Array.from({ length: 300 }, () => ({
    ...entry,
    a: { addr: addrs[rnd(4)]!, port: ports[rnd(3)]! },
    b: { addr: addrs[rnd(4)]!, port: ports[rnd(3)]! + 1 },
    proto: rnd(2) === 0 ? 6 : 17,
    type: types[rnd(3)]!,
    nat: { addr: addrs[rnd(4)]!, port: ports[rnd(3)]! },
  }));
  const id = (e: { addr: string; port: number }): number => ctEndpointId(ipv4ToNumber(e.addr), e.port);
  const touching = new Set(
    [
      { addr: "198.18.0.2", port: 8080 },
      { addr: "198.18.0.3", port: 40001 },
      { addr: "198.18.0.1", port: 80 },
    ].map(id),
  );
  const keyOf = (e: CtEntry): string => Buffer.from(encodeCtEntry(e)[0]).toString("hex");
  const batched = batchedMap(16, 72, 7);
  const plain = memoryMap();
  for (const e of entries) {
    const [k, v] = encodeCtEntry(e);
    batched.update(k, v);
    plain.update(k, v);
  }
  // What it must give: every stored entry (decoded, as the map holds it) that touches an endpoint.
  const want = [...new ConntrackMap(plain).entries()]
    .filter(
      (e) =>
        (e.type === "nat-fwd" && touching.has(id(e.nat))) ||
        (e.type === "nat-rev" && (touching.has(id(e.a)) || touching.has(id(e.b)))),
    )
    .map(keyOf)
    .sort();
  assert.ok(want.length >= 10, `the random table has entries to find (${want.length})`);
  const fromBatches = new ConntrackMap(batched).natEntriesTouching(touching);
  assert.deepEqual(fromBatches.map(keyOf).sort(), want);
  assert.deepEqual(
    new ConntrackMap(plain).natEntriesTouching(touching).map(keyOf).sort(),
    want,
    "the same without visitBatches",
  );
  // Decoded whole: the entries as entries() gives them, not views of the reused buffers.
  const byKey = new Map([...new ConntrackMap(plain).entries()].map((e) => [keyOf(e), e]));
  for (const e of fromBatches) assert.deepEqual(e, byKey.get(keyOf(e)));
  assert.deepEqual(new ConntrackMap(batched).natEntriesTouching(new Set()), []);
  // Off the loop: the same judgement over batches read asynchronously, and the fallback.
  const offLoop = await new ConntrackMap(batched).natEntriesTouchingAsync(touching);
  assert.deepEqual(offLoop.map(keyOf).sort(), want, "natEntriesTouchingAsync over batches");
  for (const e of offLoop) assert.deepEqual(e, byKey.get(keyOf(e)));
  assert.deepEqual(
    (await new ConntrackMap(plain).natEntriesTouchingAsync(touching)).map(keyOf).sort(),
    want,
    "natEntriesTouchingAsync without visitBatchesAsync",
  );
});
