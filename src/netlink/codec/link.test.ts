import { test } from "node:test";
import assert from "node:assert/strict";
import { attrMap, AttrWriter, readString, readU32 } from "./attributes.ts";
import { encodeIfInfoMsg, IFINFOMSG_SIZE } from "./headers.ts";
import { decodeLink, encodeNewLink, Ifla, IflaInfo, IflaVxlan, VETH_INFO_PEER } from "./link.ts";

test("encodeNewLink() nests the veth peer as ifinfomsg + attributes with its namespace fd", () => {
  const b = encodeNewLink({ kind: "veth", name: "va", peer: { name: "vb", netnsFd: 42 }, up: true });
  assert.equal(b.readUInt32LE(8), 1, "IFF_UP in flags");
  assert.equal(b.readUInt32LE(12), 1, "IFF_UP in change mask");
  const a = attrMap(b, IFINFOMSG_SIZE);
  assert.equal(readString(a.get(Ifla.IFNAME)), "va");
  const info = attrMap(a.get(Ifla.LINKINFO)!);
  assert.equal(readString(info.get(IflaInfo.KIND)), "veth");
  const peer = attrMap(info.get(IflaInfo.DATA)!).get(VETH_INFO_PEER)!;
  const peerAttrs = attrMap(peer, IFINFOMSG_SIZE);
  assert.equal(readString(peerAttrs.get(Ifla.IFNAME)), "vb");
  assert.equal(readU32(peerAttrs.get(Ifla.NET_NS_FD)), 42);
});

test("encodeNewLink() writes vxlan options; learning is off unless asked", () => {
  const b = encodeNewLink({
    kind: "vxlan",
    name: "vx0",
    vni: 42,
    remote: "198.18.0.2",
    port: 4789,
    external: true,
  });
  const data = attrMap(attrMap(attrMap(b, IFINFOMSG_SIZE).get(Ifla.LINKINFO)!).get(IflaInfo.DATA)!);
  assert.equal(readU32(data.get(IflaVxlan.ID)), 42);
  assert.equal(data.get(IflaVxlan.GROUP)?.toString("hex"), "c6120002");
  assert.equal(data.get(IflaVxlan.PORT)?.toString("hex"), "12b5");
  assert.equal(data.get(IflaVxlan.LEARNING)?.[0], 0);
  assert.equal(data.get(IflaVxlan.COLLECT_METADATA)?.[0], 1);
});

test("decodeLink() reads a veth reply with a peer in another namespace", () => {
  const attrs = new AttrWriter()
    .string(Ifla.IFNAME, "va")
    .u32(Ifla.MTU, 1500)
    .bytes(Ifla.ADDRESS, Buffer.from("0200000000aa", "hex"))
    .u8(Ifla.OPERSTATE, 6)
    .u32(Ifla.LINK, 9)
    .s32(Ifla.LINK_NETNSID, 0)
    .u32(Ifla.MASTER, 3)
    .nested(Ifla.LINKINFO, (w) => w.string(IflaInfo.KIND, "veth"));
  const link = decodeLink(
    Buffer.concat([encodeIfInfoMsg({ type: 1, index: 4, flags: 0x11043 }), attrs.toBuffer()]),
  );
  assert.deepEqual(link, {
    index: 4,
    name: "va",
    kind: "veth",
    type: 1,
    flags: 0x11043,
    up: true,
    mtu: 1500,
    mac: "02:00:00:00:00:aa",
    operState: "up",
    master: 3,
    parentIndex: 9,
    linkNetnsId: 0,
    peerIndex: 9,
  });
});
