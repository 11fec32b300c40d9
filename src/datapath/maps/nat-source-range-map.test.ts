import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeNatSourceRangeKey,
  encodeNatSourceRangeKey,
  NatSourceRangeMap,
} from "./nat-source-range-map.ts";
import type { RawMap } from "./raw-map.ts";

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

test("encodeNatSourceRangeKey() counts svc_id's 32 bits in prefixlen and puts the address in network order", () => {
  const key = encodeNatSourceRangeKey({ svcId: 7, cidr: "198.18.100.0/24" });
  assert.equal(key.byteLength, 12);
  assert.equal(new DataView(key.buffer).getUint32(0, true), 32 + 24);
  assert.deepEqual([...key.subarray(8)], [198, 18, 100, 0]);
  assert.deepEqual(decodeNatSourceRangeKey(key), { svcId: 7, cidr: "198.18.100.0/24" });
});

test("encodeNatSourceRangeKey() clears host bits and rejects bad CIDRs", () => {
  assert.deepEqual(decodeNatSourceRangeKey(encodeNatSourceRangeKey({ svcId: 1, cidr: "10.1.2.3/8" })), {
    svcId: 1,
    cidr: "10.0.0.0/8",
  });
  assert.deepEqual(decodeNatSourceRangeKey(encodeNatSourceRangeKey({ svcId: 1, cidr: "10.1.2.3/0" })), {
    svcId: 1,
    cidr: "0.0.0.0/0",
  });
  for (const bad of ["10.0.0.0/33", "10.0.0.0", "10.0.0/8"])
    assert.throws(() => encodeNatSourceRangeKey({ svcId: 1, cidr: bad }), RangeError, bad);
});

test("NatSourceRangeMap allows, lists and deletes ranges; entries without the allow flag are not listed", () => {
  const raw = memoryMap();
  const m = new NatSourceRangeMap(raw);
  m.allow({ svcId: 3, cidr: "198.18.0.0/16" });
  m.allow({ svcId: 4, cidr: "198.18.200.1/32" });
  raw.update(encodeNatSourceRangeKey({ svcId: 5, cidr: "10.0.0.0/8" }), new Uint8Array(4));
  assert.deepEqual(
    [...m.entries()],
    [
      { svcId: 3, cidr: "198.18.0.0/16" },
      { svcId: 4, cidr: "198.18.200.1/32" },
    ],
  );
  m.delete({ svcId: 3, cidr: "198.18.0.0/16" });
  assert.deepEqual([...m.entries()], [{ svcId: 4, cidr: "198.18.200.1/32" }]);
});
