import type { BtfKind } from "./btf-kind.ts";

/** BtfMember is one struct/union member; bitfields have bitSize > 0 (kind_flag encoding). */
export interface BtfMember {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
  readonly bitOffset: number;
  readonly bitSize: number;
}

/** BtfEnumValue is one ENUM/ENUM64 enumerator; bigint so ENUM64 values keep all 64 bits. */
export interface BtfEnumValue {
  readonly name: string;
  readonly nameOff: number;
  readonly value: bigint;
}

/** BtfParam is one FUNC_PROTO parameter. */
export interface BtfParam {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
}

/** BtfVarSecinfo is one DATASEC entry: the VAR's type id, its offset and size in the section. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * BtfType is one decoded btf_type record plus its kind-specific trailer. The raw header fields
 * (nameOff, vlen, kindFlag, sizeOrType) are kept so the marshaler can write the record back
 * byte for byte; the optional fields are present exactly for the kinds that carry them.
 */
export interface BtfType {
  readonly id: number;
  readonly kind: BtfKind;
  readonly name: string;
  readonly nameOff: number;
  readonly kindFlag: boolean;
  /** vlen, or the linkage for FUNC. */
  readonly vlen: number;
  /** size for INT/STRUCT/UNION/ENUM/ENUM64/FLOAT/DATASEC, referenced type id for the rest. */
  readonly sizeOrType: number;
  /** INT: BTF_INT_ENCODING (1 signed, 2 char, 4 bool), bit offset and bit count. */
  readonly int?: { readonly encoding: number; readonly offset: number; readonly bits: number };
  readonly array?: { readonly type: number; readonly indexType: number; readonly nelems: number };
  readonly members?: readonly BtfMember[];
  readonly enumValues?: readonly BtfEnumValue[];
  readonly params?: readonly BtfParam[];
  /** VAR: 0 static, 1 global, 2 extern. */
  readonly linkage?: number;
  readonly secinfos?: readonly BtfVarSecinfo[];
  /** DECL_TAG: -1 for the whole type, else the member/param index. */
  readonly componentIdx?: number;
}
