/**
 * BtfStrings is the BTF string section: NUL-separated names addressed by byte offset. Offsets
 * are kept unchanged through marshaling, so func_info/line_info name offsets stay valid.
 */
export class BtfStrings {
  readonly bytes: Uint8Array;
  private readonly cache = new Map<number, string>();

  constructor(bytes: Uint8Array) {
    if (bytes.byteLength > 0 && (bytes[0] !== 0 || bytes[bytes.byteLength - 1] !== 0)) {
      throw new Error("parse btf: string section must start and end with NUL");
    }
    this.bytes = bytes;
  }

  /** get returns the string at offset; 0 is the empty name. */
  get(offset: number): string {
    const hit = this.cache.get(offset);
    if (hit !== undefined) return hit;
    if (offset < 0 || offset >= this.bytes.byteLength) {
      if (offset === 0) return "";
      throw new Error(
        `parse btf: string offset ${offset} is outside the ${this.bytes.byteLength}-byte string section`,
      );
    }
    const end = this.bytes.indexOf(0, offset);
    const s = new TextDecoder().decode(this.bytes.subarray(offset, end));
    this.cache.set(offset, s);
    return s;
  }
}
