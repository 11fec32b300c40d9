/**
 * kernelDatapathBackend is the DatapathBackend of a node: maps pinned under `<pinDir>`,
 * programs loaded from the collection spec and attached by IfaceAttacher (tcx links or cls_bpf
 * filters). Needs CAP_BPF + CAP_NET_ADMIN.
 */
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { DatapathBackend } from "./datapath-backend.ts";
import { openDatapathMaps, topUpMap, type DatapathMaps } from "./datapath-maps.ts";
import { IfaceAttacher, type AttachMethod } from "./iface-attacher.ts";
import { removeSluiceFilters } from "./sluice-filters.ts";

/** KernelDatapathOptions: the object, where pins live, and how hooks are attached. */
export interface KernelDatapathOptions {
  readonly spec: CollectionSpec;
  readonly pinDir: string;
  readonly attachMethod: AttachMethod;
}

/** kernelDatapathBackend returns the backend over the live kernel. */
export function kernelDatapathBackend(o: KernelDatapathOptions): DatapathBackend<DatapathMaps> {
  return {
    openMaps: (sizes) => openDatapathMaps(o.spec, o.pinDir, sizes),
    attacher: (maps) => new IfaceAttacher(o.spec, maps, o.pinDir, o.attachMethod),
    topUp: (old, next, name) => topUpMap(old.get(name), next.get(name)),
    detachAllPinned: () => IfaceAttacher.detachAllPinned(o.pinDir),
    removeFilters: (keep) => removeSluiceFilters(keep),
  };
}
