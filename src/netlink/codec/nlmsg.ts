/**
 * Netlink message framing: struct nlmsghdr, the control message types, and struct nlmsgerr
 * with its extended-ACK attributes. Pure: the socket in src/netlink/netlink-socket.ts uses it.
 */
import { align4, attrMap, readString, readU32 } from "./attributes.ts";

/** NLMSG_HDRLEN is the size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** NlmsgType holds the control message types shared by every netlink family. */
export const NlmsgType = {
  NOOP: 1,
  ERROR: 2,
  DONE: 3,
  OVERRUN: 4,
} as const;

/** NlmFlags holds nlmsg_flags bits; some values mean different things on GET, NEW and ERROR. */
export const NlmFlags = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  // GET requests
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  // NEW requests
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  // ERROR replies
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

/** NlmsgerrAttr holds the extended-ACK attribute types (NLMSGERR_ATTR_*). */
export const NlmsgerrAttr = {
  MSG: 1,
  OFFS: 2,
  COOKIE: 3,
} as const;

/** NlMessage is one decoded netlink message; payload excludes the header. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

/** NlHeader is what a sender chooses for a message header. */
export interface NlHeader {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid?: number;
}

/** encodeNlmsg frames a payload with a struct nlmsghdr; nlmsg_len counts header and payload. */
export function encodeNlmsg(header: NlHeader, payload: Uint8Array): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const buf = Buffer.alloc(align4(len));
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(header.type, 4);
  buf.writeUInt16LE(header.flags, 6);
  buf.writeUInt32LE(header.seq >>> 0, 8);
  buf.writeUInt32LE(header.pid ?? 0, 12);
  buf.set(payload, NLMSG_HDRLEN);
  return buf;
}

/** decodeNlmsgs splits a datagram into messages; a length that runs past the end is an error. */
export function decodeNlmsgs(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new RangeError(
        `decode netlink message at offset ${off}: length ${len} exceeds ${buf.length - off} bytes left`,
      );
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** NlError is a decoded NLMSG_ERROR (or NLMSG_DONE) status; errno is positive, 0 for an ACK. */
export interface NlError {
  readonly errno: number;
  /** Extended-ACK text (NLMSGERR_ATTR_MSG), when the kernel explained itself. */
  readonly message?: string;
  /** Byte offset into the request of the attribute the kernel rejected (NLMSGERR_ATTR_OFFS). */
  readonly offset?: number;
}

/**
 * decodeNlmsgerr reads struct nlmsgerr { int error; struct nlmsghdr msg; } and the extended-ACK
 * attributes after it. With NLM_F_CAPPED the echoed request is only its header; otherwise its
 * whole (aligned) length is skipped to reach the attributes.
 */
export function decodeNlmsgerr(msg: NlMessage): NlError {
  const p = msg.payload;
  if (p.length < 4) throw new RangeError(`decode netlink error: payload of ${p.length} bytes is too short`);
  const errno = 0 - p.readInt32LE(0);
  if ((msg.flags & NlmFlags.ACK_TLVS) === 0 || p.length < 4 + NLMSG_HDRLEN) return { errno };
  const echoed = (msg.flags & NlmFlags.CAPPED) !== 0 ? NLMSG_HDRLEN : align4(p.readUInt32LE(4));
  return withExtAck(errno, p, 4 + echoed);
}

/** decodeDone reads the status of NLMSG_DONE: an int error, then extended-ACK attributes. */
export function decodeDone(msg: NlMessage): NlError {
  const p = msg.payload;
  if (p.length < 4) return { errno: 0 };
  const errno = 0 - p.readInt32LE(0);
  if ((msg.flags & NlmFlags.ACK_TLVS) === 0) return { errno };
  return withExtAck(errno, p, 4);
}

function withExtAck(errno: number, p: Buffer, offset: number): NlError {
  if (offset >= p.length) return { errno };
  const attrs = attrMap(p, offset);
  const message = readString(attrs.get(NlmsgerrAttr.MSG));
  const off = readU32(attrs.get(NlmsgerrAttr.OFFS));
  return {
    errno,
    ...(message !== undefined && message !== "" ? { message } : {}),
    ...(off !== undefined ? { offset: off } : {}),
  };
}
