/**
 * DatapathBackend is everything the agent's sync loop asks of the datapath: open (or rebuild) the
 * shared maps, hand out typed stores for the maps it writes (routes, globals, and the NAT maps
 * through the same raw-map shape), keep programs on interfaces, and remove what an earlier agent
 * left. Two implementations: the kernel one (kernel-datapath-backend.ts: pinned maps, tcx links or
 * cls_bpf filters) and an in-memory fake (in-memory-datapath-backend.ts) that lets DataplaneSync
 * run in a unit test.
 *
 * Policy programs and IP sets are more maps in DatapathMapSet (written by PolicySync); doNotTrack
 * ingress adds an XDP attacher beside the tc one.
 */
import type { Collection, ConstantValue } from "../bpf/collection.ts";
import type { BpfFilter } from "../netlink/tc.ts";
import type { MapRebuild } from "./datapath-maps.ts";
import type { AttachOutcome } from "./iface-attacher.ts";
import type { IfaceRole } from "./iface-constants.ts";
import type { RawMap } from "./maps/raw-map.ts";

/** DatapathMapSet is one opening of the shared maps (sl_ct, sl_routes, sl_globals, ...). */
export interface DatapathMapSet {
  /** Maps that were adopted from pins (the rest were created). */
  readonly adopted: readonly string[];
  readonly rebuilt: readonly MapRebuild[];
  /** get returns a map by its object name or throws naming it. */
  get(name: string): RawMap;
  close(): void;
}

/** AttachedIfaceInfo is what an attacher reports for one interface. */
export interface AttachedIfaceInfo {
  readonly name: string;
  readonly ifindex: number;
  readonly role: IfaceRole;
}

/** IfaceRef names an interface by name and index. */
export interface IfaceRef {
  readonly name: string;
  readonly index: number;
}

/** DatapathAttacher keeps programs on interfaces; see IfaceAttacher for the kernel's semantics. */
export interface DatapathAttacher<M extends DatapathMapSet> {
  readonly attached: readonly AttachedIfaceInfo[];
  /** setMaps switches to rebuilt maps: every interface is reloaded on its next attach(). */
  setMaps(maps: M): void;
  /** prepare loads what attach() would swap in, or returns undefined when nothing changed. */
  prepare(
    iface: IfaceRef,
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
  ): Promise<Collection | undefined>;
  attach(
    iface: IfaceRef,
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
    prepared?: Collection,
  ): Promise<AttachOutcome>;
  detach(name: string): void;
  /** pinnedIfaces lists interfaces with link pins (this run's or an earlier agent's). */
  pinnedIfaces(): string[];
  detachPinned(name: string): void;
  /**
   * settle finishes what attach/detach left to do once no old program can run any more (the
   * kernel attacher empties retired policy continuation slots). Optional: an attacher that
   * leaves nothing behind has no need of it.
   */
  settle?(): void;
  close(): void;
}

/**
 * UntrackedXdpAttacher keeps xdp_hep (doNotTrack ingress, bpf/xdp.c) on host interfaces by
 * pinned XDP links; see XdpAttacher for the kernel's semantics.
 */
export interface UntrackedXdpAttacher<M extends DatapathMapSet> {
  readonly attached: readonly string[];
  setMaps(maps: M): void;
  attach(iface: IfaceRef, constants: Readonly<Record<string, ConstantValue>>): Promise<AttachOutcome>;
  detach(name: string): void;
  /** pinnedIfaces lists interfaces with an XDP link pin (this run's or an earlier agent's). */
  pinnedIfaces(): string[];
  close(): void;
}

/** DatapathBackend opens maps and attachers and clears an earlier agent's leftovers. */
export interface DatapathBackend<M extends DatapathMapSet = DatapathMapSet> {
  /** openMaps adopts, creates or rebuilds every shared map; `sizes` overrides max_entries by map name. */
  openMaps(sizes: Readonly<Record<string, number>>): M;
  /** openMapsAsync is openMaps creating the maps that have no pin at once, off the event loop (optional). */
  openMapsAsync?(sizes: Readonly<Record<string, number>>): Promise<M>;
  /**
   * prepareMaps (optional) starts creating, off the event loop, the maps that have no pin at the
   * sizes the first openMapsAsync is expected to ask for; that call uses those whose shape it
   * wants. dropPreparedMaps lets go of them when no opening will come (the standard dataplane).
   */
  prepareMaps?(sizes: Readonly<Record<string, number>>): void;
  dropPreparedMaps?(): void;
  /** pinnedMaxEntries is the capacity of map `name` as pinned now (undefined before it exists). */
  pinnedMaxEntries(name: string): number | undefined;
  /** attacher builds the interface attacher over a set of maps. */
  attacher(maps: M): DatapathAttacher<M>;
  /** xdpAttacher builds the doNotTrack XDP attacher; absent when the backend has no XDP object. */
  xdpAttacher?(maps: M): UntrackedXdpAttacher<M>;
  /** topUp copies into `next` the entries of map `name` in `old` that `next` lacks; returns how many. */
  topUp(old: M, next: M, name: string): number;
  /** detachAllPinned detaches every pinned link (tc and XDP) an earlier agent left; returns what it removed. */
  detachAllPinned(): string[];
  /** removeFilters removes Sluice cls_bpf filters, except on interfaces in `keep`. */
  removeFilters(keep?: ReadonlySet<number>): BpfFilter[];
  /** removeMapPins unpins every shared map of the object (eBPF mode off); returns the names it removed. */
  removeMapPins(): string[];
}
