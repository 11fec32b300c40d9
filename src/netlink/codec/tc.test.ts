import { test } from "node:test";
import assert from "node:assert/strict";
import { AttrWriter, attrMap, readString, readU32 } from "./attributes.ts";
import { decodeTcMsg, encodeTcMsg, TCMSG_SIZE } from "./headers.ts";
import { decodeBpfFilter, encodeBpfFilter, encodeClsact, Tca, TcaBpf, TcHandle } from "./tc.ts";

test("encodeClsact() targets parent ffff:fff1 with handle ffff:0", () => {
  const b = encodeClsact(4);
  assert.deepEqual(decodeTcMsg(b), { family: 0, index: 4, handle: 0xffff0000, parent: 0xfffffff1, info: 0 });
  assert.equal(readString(attrMap(b, TCMSG_SIZE).get(Tca.KIND)), "clsact");
});

test("encodeBpfFilter() packs prio and ETH_P_ALL into tcm_info and sets direct action", () => {
  const b = encodeBpfFilter({ index: 4, direction: "egress", priority: 2, handle: 7, fd: 9, name: "x" });
  const hdr = decodeTcMsg(b);
  assert.deepEqual([hdr.parent, hdr.handle, hdr.info], [TcHandle.EGRESS, 7, 0x00020300]);
  const opts = attrMap(attrMap(b, TCMSG_SIZE).get(Tca.OPTIONS)!);
  assert.deepEqual(
    [readU32(opts.get(TcaBpf.FD)), readString(opts.get(TcaBpf.NAME)), readU32(opts.get(TcaBpf.FLAGS))],
    [9, "x", 1],
  );
  const del = encodeBpfFilter({ index: 4, direction: "ingress", priority: 1, handle: 1 });
  assert.equal(attrMap(del, TCMSG_SIZE).has(Tca.OPTIONS), false, "delete carries no options");
});

test("decodeBpfFilter() reads id, tag and name, and skips per-priority header entries", () => {
  const attrs = new AttrWriter()
    .string(Tca.KIND, "bpf")
    .nested(Tca.OPTIONS, (o) =>
      o
        .u32(TcaBpf.ID, 77)
        .bytes(TcaBpf.TAG, Buffer.from("0102030405060708", "hex"))
        .string(TcaBpf.NAME, "tc.o:[tc]")
        .u32(TcaBpf.FLAGS, 1),
    )
    .toBuffer();
  const hdr = encodeTcMsg({ index: 4, parent: TcHandle.INGRESS, handle: 1, info: 0x00010300 });
  assert.deepEqual(decodeBpfFilter(Buffer.concat([hdr, attrs])), {
    index: 4,
    direction: "ingress",
    priority: 1,
    protocol: 3,
    handle: 1,
    name: "tc.o:[tc]",
    programId: 77,
    programTag: "0102030405060708",
    directAction: true,
  });
  const header = encodeTcMsg({ index: 4, parent: TcHandle.INGRESS, handle: 0, info: 0x00010300 });
  assert.equal(
    decodeBpfFilter(Buffer.concat([header, new AttrWriter().string(Tca.KIND, "bpf").toBuffer()])),
    undefined,
  );
});
