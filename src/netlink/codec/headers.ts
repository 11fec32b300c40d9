/**
 * The fixed family headers that follow nlmsghdr in rtnetlink messages: ifinfomsg (links),
 * ifaddrmsg (addresses), rtmsg (routes), ndmsg (neighbours) and tcmsg (qdiscs, filters).
 * Layouts are from include/uapi/linux/{rtnetlink,if_addr,neighbour}.h; integers are host order.
 */

/** IfInfoMsg is struct ifinfomsg (16 bytes). */
export interface IfInfoMsg {
  readonly family: number;
  /** ARPHRD_* device type. */
  readonly type: number;
  readonly index: number;
  /** IFF_* flags. */
  readonly flags: number;
  /** Mask of the flags a request changes. */
  readonly change: number;
}

/** IFINFOMSG_SIZE is sizeof(struct ifinfomsg). */
export const IFINFOMSG_SIZE = 16;

/** encodeIfInfoMsg writes struct ifinfomsg; absent fields are 0. */
export function encodeIfInfoMsg(m: Partial<IfInfoMsg>): Buffer {
  const b = Buffer.alloc(IFINFOMSG_SIZE);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeUInt16LE(m.type ?? 0, 2);
  b.writeInt32LE(m.index ?? 0, 4);
  b.writeUInt32LE((m.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((m.change ?? 0) >>> 0, 12);
  return b;
}

/** decodeIfInfoMsg reads struct ifinfomsg from the start of a payload. */
export function decodeIfInfoMsg(p: Buffer): IfInfoMsg {
  need(p, IFINFOMSG_SIZE, "ifinfomsg");
  return {
    family: p.readUInt8(0),
    type: p.readUInt16LE(2),
    index: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    change: p.readUInt32LE(12),
  };
}

/** IfAddrMsg is struct ifaddrmsg (8 bytes). */
export interface IfAddrMsg {
  readonly family: number;
  readonly prefixLength: number;
  /** IFA_F_* flags that fit in 8 bits; IFA_FLAGS carries all 32. */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
}

/** IFADDRMSG_SIZE is sizeof(struct ifaddrmsg). */
export const IFADDRMSG_SIZE = 8;

/** encodeIfAddrMsg writes struct ifaddrmsg. */
export function encodeIfAddrMsg(m: Partial<IfAddrMsg>): Buffer {
  const b = Buffer.alloc(IFADDRMSG_SIZE);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeUInt8(m.prefixLength ?? 0, 1);
  b.writeUInt8((m.flags ?? 0) & 0xff, 2);
  b.writeUInt8(m.scope ?? 0, 3);
  b.writeUInt32LE(m.index ?? 0, 4);
  return b;
}

/** decodeIfAddrMsg reads struct ifaddrmsg. */
export function decodeIfAddrMsg(p: Buffer): IfAddrMsg {
  need(p, IFADDRMSG_SIZE, "ifaddrmsg");
  return {
    family: p.readUInt8(0),
    prefixLength: p.readUInt8(1),
    flags: p.readUInt8(2),
    scope: p.readUInt8(3),
    index: p.readUInt32LE(4),
  };
}

/** RtMsg is struct rtmsg (12 bytes). */
export interface RtMsg {
  readonly family: number;
  readonly dstLength: number;
  readonly srcLength: number;
  readonly tos: number;
  /** Table id when < 256; RTA_TABLE carries larger ones. */
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  /** RTN_* route type. */
  readonly type: number;
  /** RTM_F_* and RTNH_F_* flags. */
  readonly flags: number;
}

/** RTMSG_SIZE is sizeof(struct rtmsg). */
export const RTMSG_SIZE = 12;

/** encodeRtMsg writes struct rtmsg. */
export function encodeRtMsg(m: Partial<RtMsg>): Buffer {
  const b = Buffer.alloc(RTMSG_SIZE);
  const bytes = [m.family, m.dstLength, m.srcLength, m.tos, m.table, m.protocol, m.scope, m.type];
  bytes.forEach((v, i) => b.writeUInt8(v ?? 0, i));
  b.writeUInt32LE((m.flags ?? 0) >>> 0, 8);
  return b;
}

/** decodeRtMsg reads struct rtmsg. */
export function decodeRtMsg(p: Buffer): RtMsg {
  need(p, RTMSG_SIZE, "rtmsg");
  return {
    family: p.readUInt8(0),
    dstLength: p.readUInt8(1),
    srcLength: p.readUInt8(2),
    tos: p.readUInt8(3),
    table: p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    type: p.readUInt8(7),
    flags: p.readUInt32LE(8),
  };
}

/** NdMsg is struct ndmsg (12 bytes). */
export interface NdMsg {
  readonly family: number;
  readonly index: number;
  /** NUD_* state bits. */
  readonly state: number;
  /** NTF_* flags. */
  readonly flags: number;
  readonly type: number;
}

/** NDMSG_SIZE is sizeof(struct ndmsg). */
export const NDMSG_SIZE = 12;

/** encodeNdMsg writes struct ndmsg. */
export function encodeNdMsg(m: Partial<NdMsg>): Buffer {
  const b = Buffer.alloc(NDMSG_SIZE);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeInt32LE(m.index ?? 0, 4);
  b.writeUInt16LE(m.state ?? 0, 8);
  b.writeUInt8(m.flags ?? 0, 10);
  b.writeUInt8(m.type ?? 0, 11);
  return b;
}

/** decodeNdMsg reads struct ndmsg. */
export function decodeNdMsg(p: Buffer): NdMsg {
  need(p, NDMSG_SIZE, "ndmsg");
  return {
    family: p.readUInt8(0),
    index: p.readInt32LE(4),
    state: p.readUInt16LE(8),
    flags: p.readUInt8(10),
    type: p.readUInt8(11),
  };
}

/** TcMsg is struct tcmsg (20 bytes). */
export interface TcMsg {
  readonly family: number;
  readonly index: number;
  readonly handle: number;
  readonly parent: number;
  /** For filters: priority << 16 | protocol (network byte order in the low 16 bits). */
  readonly info: number;
}

/** TCMSG_SIZE is sizeof(struct tcmsg). */
export const TCMSG_SIZE = 20;

/** encodeTcMsg writes struct tcmsg. */
export function encodeTcMsg(m: Partial<TcMsg>): Buffer {
  const b = Buffer.alloc(TCMSG_SIZE);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeInt32LE(m.index ?? 0, 4);
  b.writeUInt32LE((m.handle ?? 0) >>> 0, 8);
  b.writeUInt32LE((m.parent ?? 0) >>> 0, 12);
  b.writeUInt32LE((m.info ?? 0) >>> 0, 16);
  return b;
}

/** decodeTcMsg reads struct tcmsg. */
export function decodeTcMsg(p: Buffer): TcMsg {
  need(p, TCMSG_SIZE, "tcmsg");
  return {
    family: p.readUInt8(0),
    index: p.readInt32LE(4),
    handle: p.readUInt32LE(8),
    parent: p.readUInt32LE(12),
    info: p.readUInt32LE(16),
  };
}

function need(p: Buffer, size: number, what: string): void {
  if (p.length < size) throw new RangeError(`decode ${what}: payload of ${p.length} bytes, need ${size}`);
}
