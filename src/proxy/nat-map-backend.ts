/**
 * NatMapBackend is what the NAT reconciler reads and writes: sl_nat_fe, sl_nat_be, sl_nat_src,
 * and the two maps it cleans (sl_ct, sl_affinity), as plain data. Two implementations share one contract
 * suite (nat-map-backend.case.ts): InMemoryNatMapBackend (tests, --dry-run) and
 * KernelNatMapBackend (the pinned maps).
 */
import type {
  NatCapacity,
  AffinityEntryView,
  AffinityKey,
  CtEntryView,
  CtKey,
  NatBackendKey,
  NatBackendValue,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeKey,
} from "../calc/index.ts";

/** NatMapBackend: deletes return false when the key was already gone (an LRU may evict first). */
export interface NatMapBackend {
  /** flush (optional) writes what the backend queued (batched puts); called at the end of each sync. */
  flush?(): void;
  /** frontends lists sl_nat_fe. */
  frontends(): Iterable<[NatFrontendKey, NatFrontendValue]>;
  putFrontend(key: NatFrontendKey, value: NatFrontendValue): void;
  deleteFrontend(key: NatFrontendKey): boolean;
  /** backends lists sl_nat_be. */
  backends(): Iterable<[NatBackendKey, NatBackendValue]>;
  putBackend(key: NatBackendKey, value: NatBackendValue): void;
  deleteBackend(key: NatBackendKey): boolean;
  /** sourceRanges lists sl_nat_src: the CIDRs each restricted LoadBalancer svc_id admits. */
  sourceRanges(): Iterable<NatSourceRangeKey>;
  /** putSourceRange admits key.cidr to key.svcId's restricted frontends (idempotent). */
  putSourceRange(key: NatSourceRangeKey): void;
  deleteSourceRange(key: NatSourceRangeKey): boolean;
  /**
   * conntrack lists sl_ct (only the fields cleanup needs). With `touching` (endpoints as
   * ctEndpointId) it may leave out every entry but the NAT ones that involve one of them: the
   * clean-up of removed backends reads no more of a busy table than it can use.
   */
  conntrack(touching?: ReadonlySet<number>): Iterable<CtEntryView>;
  /**
   * conntrackOffLoop is conntrack(touching) read without holding the event loop (a live map: on
   * a worker thread, batch by batch): the clean-up after a fast-path change, which must not
   * hold up the next change while a busy node's table is read.
   */
  conntrackOffLoop(touching: ReadonlySet<number>): Promise<Iterable<CtEntryView>>;
  /** putConntrack writes an entry; the datapath creates them, so this is for tests and restores. */
  putConntrack(entry: CtEntryView): void;
  deleteConntrack(key: CtKey): boolean;
  /** resetConntrack sets SL_CT_F_RESET on an entry: the datapath answers the flow's next client packet with a RST. False when gone. */
  resetConntrack(key: CtKey): boolean;
  /**
   * affinity lists sl_affinity. With `svcIds` it may leave out the entries of every other
   * svc_id: the clean-up after a fast-path change checks only the changed Services' entries.
   */
  affinity(svcIds?: ReadonlySet<number>): Iterable<AffinityEntryView>;
  /** putAffinity writes an entry (tests and restores; the datapath creates them). */
  putAffinity(entry: AffinityEntryView): void;
  deleteAffinity(key: AffinityKey): boolean;
  /** capacity is how many entries sl_nat_fe / sl_nat_be / sl_nat_src hold (their max_entries). */
  capacity(): NatCapacity;
}

/** NatMapReads are the calls of a NatMapBackend that only read. */
export type NatMapReads = Pick<
  NatMapBackend,
  "frontends" | "backends" | "sourceRanges" | "conntrack" | "conntrackOffLoop" | "affinity" | "capacity"
>;

/** readsOf passes `inner`'s reads straight through, for a wrapper that watches only the writes. */
export function readsOf(inner: NatMapBackend): NatMapReads {
  return {
    frontends: () => inner.frontends(),
    backends: () => inner.backends(),
    sourceRanges: () => inner.sourceRanges(),
    conntrack: (touching) => inner.conntrack(touching),
    conntrackOffLoop: (touching) => inner.conntrackOffLoop(touching),
    affinity: (svcIds) => inner.affinity(svcIds),
    capacity: () => inner.capacity(),
  };
}
