import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeNdMsg } from "./headers.ts";
import { decodeNeighbour, encodeNeighbour, encodeNeighbourDump, Ntf } from "./neighbour.ts";
import { decodeAddress, encodeAddress } from "./address.ts";

test("encodeNeighbour() defaults to a permanent entry and decodeNeighbour() reads it back", () => {
  const b = encodeNeighbour({ index: 3, address: "198.18.0.9", lladdr: "02:00:00:00:00:09" });
  assert.deepEqual(decodeNdMsg(b), { family: 2, index: 3, state: 0x80, flags: 0, type: 0 });
  assert.deepEqual(decodeNeighbour(b), {
    index: 3,
    family: 4,
    address: "198.18.0.9",
    lladdr: "02:00:00:00:00:09",
    state: 0x80,
    states: ["permanent"],
    flags: 0,
    proxy: false,
  });
});

test("proxy entries and proxy dumps carry NTF_PROXY", () => {
  assert.equal(
    decodeNdMsg(encodeNeighbour({ index: 3, address: "2001:db8::1", proxy: true })).flags,
    Ntf.PROXY,
  );
  assert.equal(decodeNdMsg(encodeNeighbourDump(6, true)).flags, Ntf.PROXY);
});

test("encodeAddress()/decodeAddress() round-trip a point-to-point /32 and a nodad IPv6 address", () => {
  assert.deepEqual(
    decodeAddress(encodeAddress({ index: 2, cidr: "198.18.6.1/32", peer: "198.18.6.254", scope: "link" })),
    {
      index: 2,
      family: 4,
      address: "198.18.6.1",
      prefixLength: 32,
      peer: "198.18.6.254",
      scope: 253,
      flags: 0,
    },
  );
  const v6 = decodeAddress(encodeAddress({ index: 2, cidr: "2001:db8::1/64", noDad: true }));
  assert.deepEqual([v6.family, v6.prefixLength, v6.flags, v6.peer], [6, 64, 2, undefined]);
});
