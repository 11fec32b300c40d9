import { test } from "node:test";
import assert from "node:assert/strict";
import { AttrWriter } from "./attributes.ts";
import { decodeDone, decodeNlmsgerr, decodeNlmsgs, encodeNlmsg, NlmFlags, NlmsgType } from "./nlmsg.ts";

test("encodeNlmsg() writes struct nlmsghdr with the unpadded length and pads the buffer", () => {
  const b = encodeNlmsg(
    { type: 18, flags: NlmFlags.REQUEST | NlmFlags.DUMP, seq: 7 },
    Buffer.from([1, 2, 3]),
  );
  assert.equal(b.toString("hex"), "13000000" + "1200" + "0103" + "07000000" + "00000000" + "01020300");
});

test("decodeNlmsgs() splits a multipart datagram", () => {
  const one = encodeNlmsg({ type: 16, flags: NlmFlags.MULTI, seq: 1, pid: 9 }, Buffer.alloc(5));
  const done = encodeNlmsg({ type: NlmsgType.DONE, flags: NlmFlags.MULTI, seq: 1 }, Buffer.alloc(4));
  const msgs = decodeNlmsgs(Buffer.concat([one, done]));
  assert.deepEqual(
    msgs.map((m) => [m.type, m.seq, m.pid, m.payload.length]),
    [
      [16, 1, 9, 5],
      [3, 1, 0, 4],
    ],
  );
  assert.equal(decodeDone(msgs[1]!).errno, 0);
  assert.throws(() => decodeNlmsgs(Buffer.from("ff000000000000000000000000000000", "hex")), /exceeds/);
});

test("decodeNlmsgerr() reads errno and extended-ACK text from a capped error", () => {
  const err = Buffer.alloc(4);
  err.writeInt32LE(-17);
  const echoed = encodeNlmsg({ type: 16, flags: 5, seq: 3 }, Buffer.alloc(40)).subarray(0, 16);
  const tlvs = new AttrWriter().string(1, "Address already assigned").u32(2, 36).toBuffer();
  const msg = decodeNlmsgs(
    encodeNlmsg(
      { type: NlmsgType.ERROR, flags: NlmFlags.CAPPED | NlmFlags.ACK_TLVS, seq: 3 },
      Buffer.concat([err, echoed, tlvs]),
    ),
  )[0]!;
  assert.deepEqual(decodeNlmsgerr(msg), { errno: 17, message: "Address already assigned", offset: 36 });
});

test("decodeNlmsgerr() skips a full echoed request when not capped, and reads a plain ACK", () => {
  const err = Buffer.alloc(4);
  err.writeInt32LE(-22);
  const echoed = encodeNlmsg({ type: 24, flags: 5, seq: 4 }, Buffer.alloc(10));
  const tlvs = new AttrWriter().string(1, "Invalid prefix for given prefix length").toBuffer();
  const payload = Buffer.concat([err, echoed, tlvs]);
  const msg = decodeNlmsgs(
    encodeNlmsg({ type: NlmsgType.ERROR, flags: NlmFlags.ACK_TLVS, seq: 4 }, payload),
  )[0]!;
  assert.deepEqual(decodeNlmsgerr(msg), { errno: 22, message: "Invalid prefix for given prefix length" });
  const ack = decodeNlmsgs(
    encodeNlmsg({ type: NlmsgType.ERROR, flags: NlmFlags.CAPPED, seq: 5 }, Buffer.alloc(20)),
  )[0]!;
  assert.deepEqual(decodeNlmsgerr(ack), { errno: 0 });
});
