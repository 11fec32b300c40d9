/**
 * kernelDatapathBackend is the DatapathBackend of a node: maps pinned under `<pinDir>`,
 * programs loaded from the collection spec and attached by IfaceAttacher (tcx links or cls_bpf
 * filters). Needs CAP_BPF + CAP_NET_ADMIN.
 */
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { SL_ABI_LAYOUTS } from "./abi/abi.ts";
import { checkDatapathAbi, type AbiLayouts } from "./check-datapath-abi.ts";
import type { DatapathBackend } from "./datapath-backend.ts";
import { openDatapathMaps, topUpMap, type DatapathMaps } from "./datapath-maps.ts";
import { IfaceAttacher, type AttachMethod } from "./iface-attacher.ts";
import { removeSluiceFilters } from "./sluice-filters.ts";

/** KernelDatapathOptions: the object, where pins live, and how hooks are attached. */
export interface KernelDatapathOptions {
  readonly spec: CollectionSpec;
  readonly pinDir: string;
  readonly attachMethod: AttachMethod;
  /** The layouts the codecs were generated with (tests pass a mutated set). */
  readonly abi?: AbiLayouts;
}

/** kernelDatapathBackend returns the backend over the live kernel. */
export function kernelDatapathBackend(o: KernelDatapathOptions): DatapathBackend<DatapathMaps> {
  let abiChecked = false;
  return {
    openMaps: (sizes) => {
      // Before any map is opened or created: stale codecs must never read a pinned map.
      if (!abiChecked) checkDatapathAbi(o.spec, o.abi ?? SL_ABI_LAYOUTS);
      abiChecked = true;
      return openDatapathMaps(o.spec, o.pinDir, sizes);
    },
    attacher: (maps) => new IfaceAttacher(o.spec, maps, o.pinDir, o.attachMethod),
    topUp: (old, next, name) => topUpMap(old.get(name), next.get(name)),
    detachAllPinned: () => IfaceAttacher.detachAllPinned(o.pinDir),
    removeFilters: (keep) => removeSluiceFilters(keep),
  };
}
