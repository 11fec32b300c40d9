import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_IPSET_ID_BITS, SL_IPSET_LOOKUP_LEN, decodeSlIpsetKey } from "../abi/abi.ts";
import { InMemoryRawMap } from "../in-memory-datapath-backend.ts";
import { IpSetMap, ipSetMapKey } from "./ipset-map.ts";

test("ipSetMapKey encodes a CIDR member as set id + masked address, a named port with the full length", () => {
  assert.deepEqual(ipSetMapKey({ setId: 3, cidr: "10.1.2.3/8" }), {
    prefixlen: SL_IPSET_ID_BITS + 8,
    setId: 3,
    addr: 0x0a000000,
    port: 0,
    proto: 0,
  });
  assert.deepEqual(ipSetMapKey({ setId: 4, cidr: "198.19.1.2/32", port: 8080, protocol: 6 }), {
    prefixlen: SL_IPSET_LOOKUP_LEN,
    setId: 4,
    addr: 0xc6130102,
    port: 8080,
    proto: 6,
  });
  assert.deepEqual(ipSetMapKey({ setId: 5, cidr: "198.19.1.2" }).prefixlen, SL_IPSET_ID_BITS + 32);
  assert.throws(
    () => ipSetMapKey({ setId: 4, cidr: "198.19.1.0/24", port: 80, protocol: 6 }),
    /set 4 .*\/32/,
  );
  assert.throws(() => ipSetMapKey({ setId: 4, cidr: "fd00::1/128" }), /ip set 4 member "fd00::1\/128"/);
});

test("IpSetMap writes Calico's key bytes (set id and port host order, address network order) and reads them back", () => {
  const raw = new InMemoryRawMap(16);
  const m = new IpSetMap(raw);
  m.add({ setId: 0x01020304, cidr: "198.19.1.2/32", port: 0x1f90, protocol: 6 });
  const [[key]] = [...raw.entries()] as [[Uint8Array, Uint8Array]];
  assert.deepEqual(
    [...key],
    [88, 0, 0, 0, 4, 3, 2, 1, 198, 19, 1, 2, 0x90, 0x1f, 6, 0],
    "prefixlen LE, set id LE, addr BE, port LE, proto, pad",
  );
  assert.deepEqual(decodeSlIpsetKey(key).setId, 0x01020304);
  m.add({ setId: 1, cidr: "10.0.0.0/8" });
  assert.deepEqual([...m.entries()].map((e) => `${e.setId} ${e.cidr} ${e.port ?? ""}`).sort(), [
    "1 10.0.0.0/8 ",
    "16909060 198.19.1.2/32 8080",
  ]);
  assert.equal(m.delete({ setId: 1, cidr: "10.0.0.0/8" }), true);
  assert.equal(m.delete({ setId: 1, cidr: "10.0.0.0/8" }), false);
  assert.equal(raw.size, 1);
});
