/**
 * checkDatapathAbi compares every abi.h struct layout the TypeScript codecs were generated with
 * (SL_ABI_LAYOUTS) against the BTF of the object about to be loaded, and throws
 * AbiMismatchError on the first difference. The node runs it before it opens or creates a map,
 * so an object built from a different abi.h never has its maps read with stale codecs: the
 * agent falls back to the standard dataplane and says which field moved.
 */
import { parseBtf } from "../bpf/btf/parse-btf.ts";
import { checkAbi } from "../bpf/check-abi.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { StructLayout } from "../bpf/struct-layout.ts";
import { SL_ABI_LAYOUTS } from "./abi/abi.ts";

/** AbiLayouts are struct layouts by C type name, as the loader's `abi` option takes them. */
export type AbiLayouts = readonly { readonly typeName: string; readonly layout: StructLayout }[];

/** checkDatapathAbi throws AbiMismatchError unless `spec`'s BTF has every layout of `layouts`. */
export function checkDatapathAbi(spec: CollectionSpec, layouts: AbiLayouts = SL_ABI_LAYOUTS): void {
  if (spec.btf === undefined) throw new Error("check abi: the object has no btf");
  const btf = parseBtf(spec.btf);
  for (const a of layouts) checkAbi(a.layout, btf, a.typeName);
}
