/**
 * MapSpec is the blueprint of a map as read from an object file: plain data, no fd.
 * Loading a CollectionSpec turns each MapSpec into a live Map.
 */
import type { BtfTypeRef } from "./btf-type-ref.ts";

export interface MapSpec {
  /** Name in the object (`sl_conntrack`, or `.rodata` for global data). */
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** LIBBPF_PIN_BY_NAME in the object (`__uint(pinning, ...)`). The loader's pin root decides where. */
  readonly pinning: "none" | "byName";
  /** BTF of key and value where the object declares them (`__type(key, ...)`). */
  readonly keyType?: BtfTypeRef;
  readonly valueType?: BtfTypeRef;
  /** Global data maps (.rodata/.data/.bss): the section bytes to write at index 0 before load. */
  readonly contents?: Uint8Array;
  /** Set for .rodata: frozen after its contents are written, so the verifier can treat it as constant. */
  readonly freeze?: boolean;
  /** For global data: variable name → offset/size inside `contents`, from the DATASEC. */
  readonly variables?: ReadonlyMap<string, { readonly offset: number; readonly size: number }>;
}
