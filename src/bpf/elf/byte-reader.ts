/**
 * ByteReader reads little-endian integers from a byte slice with bounds checks, so a truncated
 * or hostile object file turns into a clear error instead of a RangeError deep in a DataView.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** what names the data in error messages ("elf", "btf", ".BTF.ext"). */
  private readonly what: string;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /** check throws unless [offset, offset+size) lies inside the data. */
  check(offset: number, size: number, field: string): void {
    if (!Number.isInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.byteLength) {
      throw new Error(
        `read ${this.what}: ${field} at offset ${offset} (+${size}) is outside the ${this.bytes.byteLength}-byte data`,
      );
    }
  }

  u8(offset: number, field = "u8"): number {
    this.check(offset, 1, field);
    return this.view.getUint8(offset);
  }

  u16(offset: number, field = "u16"): number {
    this.check(offset, 2, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, field = "u32"): number {
    this.check(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  i32(offset: number, field = "i32"): number {
    this.check(offset, 4, field);
    return this.view.getInt32(offset, true);
  }

  /** u64 returns a number: offsets and sizes in a BPF object never exceed 2^53. */
  u64(offset: number, field = "u64"): number {
    this.check(offset, 8, field);
    const v = this.view.getBigUint64(offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`read ${this.what}: ${field} at offset ${offset} is too large (${v})`);
    }
    return Number(v);
  }

  /** slice returns a view (not a copy) of [offset, offset+size). */
  slice(offset: number, size: number, field = "slice"): Uint8Array {
    this.check(offset, size, field);
    return this.bytes.subarray(offset, offset + size);
  }

  /** cstring reads a NUL-terminated string starting at offset. */
  cstring(offset: number, field = "string"): string {
    this.check(offset, 0, field);
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) throw new Error(`read ${this.what}: ${field} at offset ${offset} is not NUL-terminated`);
    return decoder.decode(this.bytes.subarray(offset, end));
  }
}

const decoder = new TextDecoder("utf-8", { fatal: false });
