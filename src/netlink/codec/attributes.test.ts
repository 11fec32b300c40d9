import { test } from "node:test";
import assert from "node:assert/strict";
import {
  align4,
  AttrWriter,
  attrMap,
  decodeAttrs,
  NLA_F_NESTED,
  readBe16,
  readString,
  readU32,
} from "./attributes.ts";

test("align4() rounds up to the netlink 4-byte boundary", () => {
  assert.deepEqual([0, 1, 4, 5, 7, 8].map(align4), [0, 4, 4, 8, 8, 8]);
});

test("AttrWriter pads payloads and writes len/type in host order", () => {
  const b = new AttrWriter().string(3, "va").u32(4, 1500).u8(7, 0).be16(15, 4789).flag(9).toBuffer();
  assert.equal(
    b.toString("hex"),
    [
      "0700" + "0300" + "766100" + "00", // IFLA_IFNAME "va\0", len 7 padded to 8
      "0800" + "0400" + "dc050000", // u32 1500
      "0500" + "0700" + "00" + "000000", // u8 0
      "0600" + "0f00" + "12b5" + "0000", // port 4789 in network order
      "0400" + "0900", // flag
    ].join(""),
  );
});

test("AttrWriter.nested() sets NLA_F_NESTED unless told not to, and raw() prefixes structs", () => {
  const b = new AttrWriter().nested(18, (w) => w.string(1, "veth")).toBuffer();
  assert.equal(b.readUInt16LE(0), 4 + 12);
  assert.equal(b.readUInt16LE(2), 18 | NLA_F_NESTED);
  const plain = new AttrWriter().nested(2, (w) => w.raw(Buffer.from([1, 2, 3])), { flag: false }).toBuffer();
  assert.equal(plain.toString("hex"), "0800" + "0200" + "01020300");
});

test("decodeAttrs() strips flags, walks padding, and rejects overlong attributes", () => {
  const b = new AttrWriter()
    .string(3, "eth0")
    .nested(18, (w) => w.u32(1, 7))
    .be16(15, 8472)
    .toBuffer();
  const attrs = decodeAttrs(b);
  assert.deepEqual(
    attrs.map((a) => [a.type, a.nested]),
    [
      [3, false],
      [18, true],
      [15, false],
    ],
  );
  const m = attrMap(b);
  assert.equal(readString(m.get(3)), "eth0");
  assert.equal(readU32(attrMap(m.get(18)!).get(1)), 7);
  assert.equal(readBe16(m.get(15)), 8472);
  assert.throws(() => decodeAttrs(Buffer.from([0x20, 0, 1, 0, 0, 0, 0, 0])), /exceeds/);
});
