import { test } from "node:test";
import assert from "node:assert/strict";
import { attrMap, readU32 } from "./attributes.ts";
import { decodeRtMsg, RTMSG_SIZE } from "./headers.ts";
import { decodeRoute, encodeRoute, encodeRouteQuery, Rta } from "./route.ts";

test("encodeRoute() picks scope link without a gateway and global with one, like iproute2", () => {
  const direct = decodeRtMsg(encodeRoute({ dst: "198.18.1.0/24", oif: 3 }));
  assert.deepEqual(
    [direct.family, direct.dstLength, direct.scope, direct.protocol, direct.type, direct.table],
    [2, 24, 253, 3, 1, 254],
  );
  const gw = decodeRtMsg(encodeRoute({ dst: "default", via: "2001:db8::1" }));
  assert.deepEqual([gw.family, gw.dstLength, gw.scope], [10, 0, 0]);
  const del = decodeRtMsg(encodeRoute({ dst: "198.18.1.0/24" }, true));
  assert.deepEqual([del.scope, del.protocol, del.type], [255, 0, 0], "delete leaves fields as wildcards");
});

test("encodeRoute() puts large table ids only in RTA_TABLE and sets onlink", () => {
  const b = encodeRoute({ dst: "198.18.1.0/24", via: "198.20.0.1", table: 1000, onlink: true, metric: 9 });
  const hdr = decodeRtMsg(b);
  assert.equal(hdr.table, 0);
  assert.equal(hdr.flags, 4);
  const a = attrMap(b, RTMSG_SIZE);
  assert.equal(readU32(a.get(Rta.TABLE)), 1000);
  assert.equal(readU32(a.get(Rta.PRIORITY)), 9);
  assert.equal(a.get(Rta.DST)?.toString("hex"), "c6120100");
  assert.equal(a.get(Rta.GATEWAY)?.toString("hex"), "c6140001");
});

test("decodeRoute() reads back what encodeRoute() wrote", () => {
  const r = decodeRoute(
    encodeRoute({ dst: "2001:db8:1::/48", via: "2001:db8::fe", oif: 2, src: "2001:db8::1", metric: 1024 }),
  );
  assert.deepEqual(r, {
    family: 6,
    dst: "2001:db8:1::/48",
    via: "2001:db8::fe",
    oif: 2,
    src: "2001:db8::1",
    scope: 0,
    table: 254,
    protocol: 3,
    type: 1,
    metric: 1024,
    onlink: false,
    flags: 0,
  });
  assert.equal(decodeRoute(encodeRoute({ dst: "default", oif: 1 })).dst, "default");
});

test("encodeRouteQuery() asks for a host route to the destination", () => {
  const b = encodeRouteQuery({ dst: "198.18.0.1", from: "198.18.0.2" });
  const hdr = decodeRtMsg(b);
  assert.deepEqual([hdr.family, hdr.dstLength, hdr.srcLength], [2, 32, 32]);
});
