/** BtfKind holds the BTF_KIND_* numbers (uapi linux/btf.h); 0 doubles as `void` for type id 0. */
export const BtfKind = {
  Void: 0,
  Int: 1,
  Ptr: 2,
  Array: 3,
  Struct: 4,
  Union: 5,
  Enum: 6,
  Fwd: 7,
  Typedef: 8,
  Volatile: 9,
  Const: 10,
  Restrict: 11,
  Func: 12,
  FuncProto: 13,
  Var: 14,
  Datasec: 15,
  Float: 16,
  DeclTag: 17,
  TypeTag: 18,
  Enum64: 19,
} as const;
export type BtfKind = (typeof BtfKind)[keyof typeof BtfKind];

/** btfKindName gives the lowercase kind name for error messages ("struct", "datasec"). */
export function btfKindName(kind: number): string {
  for (const [name, value] of Object.entries(BtfKind)) {
    if (value === kind) return name.toLowerCase();
  }
  return `kind ${kind}`;
}
