/**
 * Netlink attribute (struct nlattr / rtattr) encoding and decoding. Attributes are
 * type-length-value records padded to 4 bytes; a nested attribute carries further attributes.
 * Integers are host byte order (little endian on every platform Sluice runs on) unless the
 * attribute is defined as network byte order, which the callers handle with be16/be32.
 */

/** NLA_F_NESTED marks an attribute whose payload is a list of attributes. */
export const NLA_F_NESTED = 0x8000;
/** NLA_F_NET_BYTEORDER marks a payload in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** NLA_TYPE_MASK strips the two flag bits from an attribute type. */
export const NLA_TYPE_MASK = 0x3fff;
/** NLA_HDRLEN is the size of struct nlattr (len u16, type u16). */
export const NLA_HDRLEN = 4;

/** align4 rounds a length up to the 4-byte netlink alignment (NLMSG_ALIGN / NLA_ALIGN). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * AttrWriter builds a list of attributes. Nested lists set NLA_F_NESTED by default: the kernel
 * masks the flag when parsing, and strict policies of newer attributes require it.
 */
export class AttrWriter {
  readonly #chunks: Buffer[] = [];

  /** raw appends bytes as-is (padded), for payloads that start with a struct, like VETH_INFO_PEER. */
  raw(bytes: Uint8Array): this {
    const pad = align4(bytes.length) - bytes.length;
    this.#chunks.push(Buffer.from(bytes), Buffer.alloc(pad));
    return this;
  }

  /** bytes appends one attribute with an arbitrary payload. */
  bytes(type: number, payload: Uint8Array): this {
    const len = NLA_HDRLEN + payload.length;
    const hdr = Buffer.alloc(NLA_HDRLEN);
    if (len > 0xffff)
      throw new RangeError(`encode attribute ${type}: payload of ${payload.length} bytes too long`);
    hdr.writeUInt16LE(len, 0);
    hdr.writeUInt16LE(type, 2);
    this.#chunks.push(hdr, Buffer.from(payload), Buffer.alloc(align4(len) - len));
    return this;
  }

  /** flag appends an attribute with no payload (its presence is the value). */
  flag(type: number): this {
    return this.bytes(type, Buffer.alloc(0));
  }

  u8(type: number, value: number): this {
    return this.bytes(type, Buffer.from([value & 0xff]));
  }

  u16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.bytes(type, b);
  }

  /** be16 appends a 16-bit value in network byte order (ports). */
  be16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.bytes(type, b);
  }

  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.bytes(type, b);
  }

  s32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return this.bytes(type, b);
  }

  u64(type: number, value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    return this.bytes(type, b);
  }

  /** string appends a NUL-terminated string (NLA_NUL_STRING and NLA_STRING both accept it). */
  string(type: number, value: string): this {
    return this.bytes(type, Buffer.concat([Buffer.from(value, "utf8"), Buffer.alloc(1)]));
  }

  /** nested appends an attribute whose payload fn writes. */
  nested(type: number, fn: (w: AttrWriter) => void, options: { readonly flag?: boolean } = {}): this {
    const child = new AttrWriter();
    fn(child);
    return this.bytes(options.flag === false ? type : type | NLA_F_NESTED, child.toBuffer());
  }

  /** toBuffer returns the concatenated attributes. */
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** Attr is one decoded attribute; `type` has the flag bits removed. */
export interface Attr {
  readonly type: number;
  readonly nested: boolean;
  readonly data: Buffer;
}

/** decodeAttrs parses a list of attributes, rejecting lengths that run past the buffer. */
export function decodeAttrs(buf: Buffer, offset = 0): Attr[] {
  const out: Attr[] = [];
  let off = offset;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new RangeError(
        `decode attribute at offset ${off}: length ${len} exceeds ${buf.length - off} bytes left`,
      );
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** AttrMap maps attribute type to payload; when a type repeats, the last one wins. */
export type AttrMap = ReadonlyMap<number, Buffer>;

/** attrMap parses attributes into a map by type. */
export function attrMap(buf: Buffer, offset = 0): AttrMap {
  return new Map(decodeAttrs(buf, offset).map((a) => [a.type, a.data]));
}

/** readU8 reads a u8 payload, or undefined when absent or short. */
export function readU8(data: Buffer | undefined): number | undefined {
  return data !== undefined && data.length >= 1 ? data.readUInt8(0) : undefined;
}

/** readU16 reads a host-order u16 payload. */
export function readU16(data: Buffer | undefined): number | undefined {
  return data !== undefined && data.length >= 2 ? data.readUInt16LE(0) : undefined;
}

/** readBe16 reads a network-order u16 payload. */
export function readBe16(data: Buffer | undefined): number | undefined {
  return data !== undefined && data.length >= 2 ? data.readUInt16BE(0) : undefined;
}

/** readU32 reads a host-order u32 payload. */
export function readU32(data: Buffer | undefined): number | undefined {
  return data !== undefined && data.length >= 4 ? data.readUInt32LE(0) : undefined;
}

/** readS32 reads a host-order s32 payload. */
export function readS32(data: Buffer | undefined): number | undefined {
  return data !== undefined && data.length >= 4 ? data.readInt32LE(0) : undefined;
}

/** readString reads a string payload, dropping the trailing NUL and anything after it. */
export function readString(data: Buffer | undefined): string | undefined {
  if (data === undefined) return undefined;
  const nul = data.indexOf(0);
  return data.toString("utf8", 0, nul < 0 ? data.length : nul);
}
