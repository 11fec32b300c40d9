import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  decodeNdMsg,
  decodeRtMsg,
  decodeTcMsg,
  encodeIfAddrMsg,
  encodeIfInfoMsg,
  encodeNdMsg,
  encodeRtMsg,
  encodeTcMsg,
} from "./headers.ts";

// Expected bytes follow the uapi struct layouts (x86-64/arm64, little endian).
test("ifinfomsg is family, pad, type, index, flags, change in 16 bytes", () => {
  const m = { family: 0, type: 1, index: 5, flags: 0x1003, change: 1 };
  const b = encodeIfInfoMsg(m);
  assert.equal(b.toString("hex"), "00000100" + "05000000" + "03100000" + "01000000");
  assert.deepEqual(decodeIfInfoMsg(b), m);
});

test("ifaddrmsg is family, prefixlen, flags, scope, index in 8 bytes", () => {
  const m = { family: 10, prefixLength: 64, flags: 0x80, scope: 253, index: 3 };
  const b = encodeIfAddrMsg(m);
  assert.equal(b.toString("hex"), "0a4080fd" + "03000000");
  assert.deepEqual(decodeIfAddrMsg(b), m);
});

test("rtmsg is eight u8 fields and u32 flags in 12 bytes", () => {
  const m = {
    family: 2,
    dstLength: 24,
    srcLength: 0,
    tos: 0,
    table: 254,
    protocol: 3,
    scope: 253,
    type: 1,
    flags: 4,
  };
  const b = encodeRtMsg(m);
  assert.equal(b.toString("hex"), "02180000fe03fd01" + "04000000");
  assert.deepEqual(decodeRtMsg(b), m);
});

test("ndmsg is family, pads, ifindex, state u16, flags, type in 12 bytes", () => {
  const m = { family: 2, index: 7, state: 0x80, flags: 0x08, type: 0 };
  const b = encodeNdMsg(m);
  assert.equal(b.toString("hex"), "02000000" + "07000000" + "8000" + "08" + "00");
  assert.deepEqual(decodeNdMsg(b), m);
});

test("tcmsg is family, pads, ifindex, handle, parent, info in 20 bytes", () => {
  const m = { family: 0, index: 4, handle: 1, parent: 0xfffffff2, info: (1 << 16) | 0x0300 };
  const b = encodeTcMsg(m);
  assert.equal(b.toString("hex"), "00000000" + "04000000" + "01000000" + "f2ffffff" + "00030100");
  assert.deepEqual(decodeTcMsg(b), m);
  assert.throws(() => decodeTcMsg(Buffer.alloc(10)), /need 20/);
});
