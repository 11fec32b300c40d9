/**
 * CollectionSpec is everything an object file declares: maps, programs and the BTF blob the
 * kernel needs to load them, with DATASEC sizes and VAR offsets already fixed up.
 */
import type { MapSpec } from "./map-spec.ts";
import type { ProgramSpec } from "./program-spec.ts";

export interface CollectionSpec {
  readonly maps: ReadonlyMap<string, MapSpec>;
  readonly programs: ReadonlyMap<string, ProgramSpec>;
  /** BTF ready for BPF_BTF_LOAD (fixed up), or undefined if the object has none. */
  readonly btf?: Uint8Array;
  /** BTF type id of each map's key/value, for BPF_MAP_CREATE's btf_key/value_type_id. */
  readonly license: string;
}
