/**
 * kernelDatapathBackend is the DatapathBackend of a node: maps pinned under `<pinDir>`,
 * programs loaded from the collection spec and attached by IfaceAttacher (tcx links or cls_bpf
 * filters), and xdp.o's doNotTrack program by XdpAttacher. Needs CAP_BPF + CAP_NET_ADMIN.
 */
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { SL_ABI_LAYOUTS } from "./abi/abi.ts";
import { checkDatapathAbi, type AbiLayouts } from "./check-datapath-abi.ts";
import type { DatapathBackend } from "./datapath-backend.ts";
import {
  mapPinPath,
  openDatapathMaps,
  createMissingMaps,
  openDatapathMapsAsync,
  sharedMapSpecs,
  topUpMap,
  type DatapathMaps,
} from "./datapath-maps.ts";
import { pinExists, unpin } from "../kernel/bpffs.ts";
import { BpfMap } from "../bpf/map.ts";
import { IfaceAttacher, type AttachMethod } from "./iface-attacher.ts";
import { ATTACH_RECORD_FILE } from "./attach-record.ts";
import { join } from "node:path";
import { removeSluiceFilters } from "./sluice-filters.ts";
import { XdpAttacher } from "./xdp-attacher.ts";

/** KernelDatapathOptions: the object, where pins live, and how hooks are attached. */
export interface KernelDatapathOptions {
  readonly spec: CollectionSpec;
  readonly pinDir: string;
  readonly attachMethod: AttachMethod;
  /** bpf/obj/xdp.o (doNotTrack ingress); without it doNotTrack ingress is not programmed. */
  readonly xdpSpec?: CollectionSpec;
  /** The layouts the codecs were generated with (tests pass a mutated set). */
  readonly abi?: AbiLayouts;
  /**
   * The attach record (attach-record.ts) in the agent's state directory, so a restart keeps the
   * programs that are still the ones it would load, and the identity of the loader's code (part
   * of what "the same programs" means). Without it every start loads.
   */
  readonly attachRecord?: { readonly stateDir: string; readonly loader: string };
}

/** kernelDatapathBackend returns the backend over the live kernel. */
export function kernelDatapathBackend(o: KernelDatapathOptions): DatapathBackend<DatapathMaps> {
  let abiChecked = false;
  // Before any map is opened or created: stale codecs must never read a pinned map.
  const checkAbiOnce = (): void => {
    if (!abiChecked) checkDatapathAbi(o.spec, o.abi ?? SL_ABI_LAYOUTS);
    abiChecked = true;
  };
  // Maps created ahead (prepareMaps) for the first opening, unpinned until it pins them.
  let prepared: Promise<Map<string, BpfMap>> | undefined;
  const takePrepared = (): Promise<Map<string, BpfMap>> => {
    const p = prepared ?? Promise.resolve(new Map<string, BpfMap>());
    prepared = undefined;
    return p;
  };
  return {
    openMaps: (sizes) => {
      checkAbiOnce();
      return openDatapathMaps(o.spec, o.pinDir, sizes);
    },
    openMapsAsync: async (sizes) => {
      const ahead = takePrepared();
      try {
        checkAbiOnce();
      } catch (e) {
        for (const m of (await ahead).values()) m.close();
        throw e;
      }
      return openDatapathMapsAsync(o.spec, o.pinDir, sizes, await ahead);
    },
    prepareMaps: (sizes) => {
      if (prepared !== undefined) return;
      // A failure here is not reported: the opening creates what is missing and says why it cannot.
      prepared = createMissingMaps(o.spec, o.pinDir, sizes).catch(() => new Map<string, BpfMap>());
    },
    dropPreparedMaps: () => {
      void takePrepared().then((maps) => {
        for (const m of maps.values()) m.close();
      });
    },
    pinnedMaxEntries: (name) => pinnedMaxEntries(mapPinPath(o.pinDir, name)),
    attacher: (maps) =>
      new IfaceAttacher(
        o.spec,
        maps,
        o.pinDir,
        o.attachMethod,
        o.attachRecord === undefined
          ? undefined
          : { path: join(o.attachRecord.stateDir, ATTACH_RECORD_FILE), loader: o.attachRecord.loader },
      ),
    ...(o.xdpSpec
      ? { xdpAttacher: (maps: DatapathMaps) => new XdpAttacher(o.xdpSpec!, maps, o.pinDir) }
      : {}),
    topUp: (old, next, name) => topUpMap(old.get(name), next.get(name)),
    detachAllPinned: () => [
      ...IfaceAttacher.detachAllPinned(o.pinDir),
      ...XdpAttacher.detachAllPinned(o.pinDir).map((name) => `xdp/${name}`),
    ],
    removeFilters: (keep) => removeSluiceFilters(keep),
    removeMapPins: () => {
      const removed: string[] = [];
      for (const m of sharedMapSpecs(o.spec)) {
        const path = mapPinPath(o.pinDir, m.name);
        if (!pinExists(path)) continue;
        unpin(path); // the kernel frees the map once no program or fd holds it
        removed.push(m.name);
      }
      return removed;
    },
  };
}

function pinnedMaxEntries(path: string): number | undefined {
  try {
    const m = BpfMap.openPinned(path);
    const n = m.maxEntries;
    m.close();
    return n;
  } catch {
    return undefined; // no pin yet
  }
}
