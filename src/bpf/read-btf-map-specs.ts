import type { Btf } from "./btf/btf.ts";
import { BtfKind, btfKindName } from "./btf/btf-kind.ts";
import type { BtfTypeRef } from "./btf-type-ref.ts";
import type { MapSpec } from "./map-spec.ts";

/** LIBBPF_PIN_BY_NAME from bpf_helpers.h. */
const pinByName = 1;

/**
 * readBtfMapSpecs reads the BTF-defined maps of the `.maps` DATASEC. Each variable is an
 * anonymous struct whose members encode the map: `__uint(x, n)` is `int (*x)[n]` (the value is
 * the array's element count) and `__type(key, T)` is `T *key`.
 */
export function readBtfMapSpecs(btf: Btf): Map<string, MapSpec> {
  const out = new Map<string, MapSpec>();
  const sec = btf.findType(".maps", BtfKind.Datasec);
  if (sec === undefined) return out;
  for (const info of sec.secinfos ?? []) {
    const v = btf.typeById(info.type);
    if (v.kind !== BtfKind.Var) continue;
    out.set(v.name, readOne(btf, v.name, v.sizeOrType));
  }
  return out;
}

function readOne(btf: Btf, name: string, typeId: number): MapSpec {
  const fail = (detail: string): Error => new Error(`read map "${name}": ${detail}`);
  const def = btf.resolve(typeId);
  if (def.kind !== BtfKind.Struct) throw fail(`definition is a ${btfKindName(def.kind)}, not a struct`);
  const nums = new Map<string, number>();
  let keyType: BtfTypeRef | undefined;
  let valueType: BtfTypeRef | undefined;
  for (const m of def.members ?? []) {
    const ptr = btf.resolve(m.type);
    if (m.name === "values") {
      throw fail(`member "values" (inner map or initial prog-array contents) is not supported`);
    }
    if (ptr.kind !== BtfKind.Ptr)
      throw fail(`member "${m.name}" is a ${btfKindName(ptr.kind)}, not a pointer`);
    if (m.name === "key" || m.name === "value") {
      const ref = typeRef(btf, ptr.sizeOrType);
      if (m.name === "key") keyType = ref;
      else valueType = ref;
      continue;
    }
    const arr = btf.resolve(ptr.sizeOrType);
    if (arr.kind !== BtfKind.Array || arr.array === undefined) {
      throw fail(`member "${m.name}" points to a ${btfKindName(arr.kind)}, not an array`);
    }
    nums.set(m.name, arr.array.nelems);
  }
  const type = nums.get("type");
  if (type === undefined) throw fail(`no "type" member`);
  const pinning = nums.get("pinning") ?? 0;
  if (pinning !== 0 && pinning !== pinByName) throw fail(`pinning ${pinning} is not supported`);
  return {
    name,
    type,
    keySize: keyType?.size ?? nums.get("key_size") ?? 0,
    valueSize: valueType?.size ?? nums.get("value_size") ?? 0,
    maxEntries: nums.get("max_entries") ?? 0,
    flags: nums.get("map_flags") ?? 0,
    pinning: pinning === pinByName ? "byName" : "none",
    ...(keyType === undefined ? {} : { keyType }),
    ...(valueType === undefined ? {} : { valueType }),
  };
}

/** typeRef names a type as declared (`__u32`, `loader_key`), falling back to the resolved name. */
function typeRef(btf: Btf, id: number): BtfTypeRef {
  const own = btf.typeById(id).name;
  return { id, name: own !== "" ? own : btf.resolve(id).name, size: btf.sizeOf(id) };
}
