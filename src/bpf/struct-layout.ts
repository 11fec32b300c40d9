/**
 * FieldKind is how a codec treats a field: host-order integers (`u32`, `s64`), network-order
 * integers (`be16`, `be32`, `be64`: from `__be*` typedefs), raw bytes (`__u8` arrays),
 * arrays of integers, nested structs, and `pad` (fields whose names start with pad or reserved, always zero).
 */
export type FieldKind =
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "s8"
  | "s16"
  | "s32"
  | "s64"
  | "be16"
  | "be32"
  | "be64"
  | "bytes"
  | "array"
  | "struct"
  | "pad";

/** FieldLayout is one member of a StructLayout, with its C name. */
export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly kind: FieldKind;
  /** For `array`: the element kind and count. */
  readonly element?: FieldKind;
  readonly count?: number;
  /** For `struct`: the nested struct's layout. */
  readonly layout?: StructLayout;
}

/**
 * StructLayout is the byte layout of a C struct as the generated codecs assume it; checkAbi
 * compares it with the BTF of the object actually being loaded.
 */
export interface StructLayout {
  /** C struct name (`loader_key`). */
  readonly name: string;
  readonly size: number;
  readonly fields: readonly FieldLayout[];
}
