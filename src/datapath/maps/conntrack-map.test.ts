import assert from "node:assert/strict";
import { test } from "node:test";
import { ConntrackMap, ctKeyOf, decodeCtEntry, encodeCtEntry, type CtEntry } from "./conntrack-map.ts";
import type { RawMap } from "./raw-map.ts";

/** memoryMap is an in-memory RawMap keyed by hex. */
function memoryMap(): RawMap {
  const m = new Map<string, [Uint8Array, Uint8Array]>();
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return {
    get: (k) => m.get(hex(k))?.[1],
    update: (k, v) => void m.set(hex(k), [k, v]),
    delete: (k) => void m.delete(hex(k)),
    entries: () => m.values(),
  };
}

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
