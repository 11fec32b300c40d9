/**
 * encodeConstant turns a load-time constant into the bytes of its `.rodata` variable:
 * numbers and bigints little-endian (the BPF target's byte order on x86-64/arm64) at the
 * variable's size, byte arrays only when the size matches exactly.
 */
export function encodeConstant(name: string, value: number | bigint | Uint8Array, size: number): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== size)
      throw new RangeError(`set constant "${name}": ${value.byteLength} bytes given, variable has ${size}`);
    return value;
  }
  if (![1, 2, 4, 8].includes(size))
    throw new RangeError(`set constant "${name}": a ${size}-byte variable needs a Uint8Array`);
  const big = BigInt(value);
  const bits = BigInt(size * 8);
  if (big < -(1n << (bits - 1n)) || big >= 1n << bits) {
    throw new RangeError(`set constant "${name}": "${value}" does not fit in ${size} bytes`);
  }
  const out = new Uint8Array(size);
  const u = BigInt.asUintN(size * 8, big);
  for (let i = 0; i < size; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return out;
}
