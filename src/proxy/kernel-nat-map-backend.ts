/**
 * KernelNatMapBackend is the NatMapBackend over the pinned maps, through src/datapath's typed
 * views (the generated codecs do byte order). Needs CAP_BPF. Missing keys on delete come back as
 * false, since an LRU map (sl_ct, sl_affinity) may have evicted the entry first.
 *
 * sl_nat_src (`sourceRanges`) is optional so callers written before loadBalancerSourceRanges
 * still compile: without it the backend lists no ranges and refuses to write one, so a sync
 * that needs it fails loudly instead of flagging frontends whose clients would all be dropped.
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
import {
  SL_CT_F_RESET,
  SlNatBeKeyLayout,
  SlNatBeValueLayout,
  SlNatFeKeyLayout,
  SlNatFeValueLayout,
  encodeSlAffinityKey,
  encodeSlAffinityValue,
} from "../datapath/abi/abi.ts";
import {
  AffinityMap,
  ConntrackMap,
  NatBackendMap,
  NatFrontendMap,
  NatSourceRangeMap,
  encodeCtEntry,
  ipv4ToNumber,
} from "../datapath/maps/index.ts";
import type { RawMap } from "../datapath/maps/index.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { KeyNotFoundError } from "../errors/index.ts";
import { BatchedMapWriter } from "./batched-map-writer.ts";
import type { NatMapBackend } from "./nat-map-backend.ts";
import { writeBackendEntry, writeFrontendEntry } from "./nat-entry-bytes.ts";
import { normaliseCtKey } from "./normalise-ct-key.ts";

/** KernelNatMaps are the maps, live (BpfMap) or anything RawMap-shaped. */
export interface KernelNatMaps {
  readonly frontends: RawMap;
  readonly backends: RawMap;
  readonly conntrack: RawMap;
  readonly affinity: RawMap;
  /** sl_nat_src; needed as soon as a Service has loadBalancerSourceRanges. */
  readonly sourceRanges?: RawMap;
}

/** KernelNatMapBackend reads and writes the datapath's maps. */
export class KernelNatMapBackend implements NatMapBackend {
  readonly #fe: NatFrontendMap;
  readonly #be: NatBackendMap;
  readonly #src: NatSourceRangeMap | undefined;
  readonly #ct: ConntrackMap;
  readonly #ctRaw: RawMap;
  readonly #aff: AffinityMap;
  readonly #affRaw: RawMap;
  readonly #capacity: NatCapacity;
  /** Frontend and backend puts go out in batches; anything else flushes them first, so the maps see the plan's order. */
  readonly #feBatch: BatchedMapWriter;
  readonly #beBatch: BatchedMapWriter;

  constructor(maps: KernelNatMaps) {
    this.#capacity = {
      frontends: maps.frontends.maxEntries ?? Infinity,
      backends: maps.backends.maxEntries ?? Infinity,
      sourceRanges: maps.sourceRanges?.maxEntries ?? Infinity,
    };
    this.#feBatch = new BatchedMapWriter(maps.frontends, undefined, {
      keySize: SlNatFeKeyLayout.size,
      valueSize: SlNatFeValueLayout.size,
    });
    this.#beBatch = new BatchedMapWriter(maps.backends, undefined, {
      keySize: SlNatBeKeyLayout.size,
      valueSize: SlNatBeValueLayout.size,
    });
    this.#fe = new NatFrontendMap(maps.frontends);
    this.#be = new NatBackendMap(maps.backends);
    this.#src = maps.sourceRanges === undefined ? undefined : new NatSourceRangeMap(maps.sourceRanges);
    this.#ct = new ConntrackMap(maps.conntrack);
    this.#ctRaw = maps.conntrack;
    this.#aff = new AffinityMap(maps.affinity);
    this.#affRaw = maps.affinity;
  }

  capacity(): NatCapacity {
    return this.#capacity;
  }

  /** flush writes every queued frontend and backend put (the reconciler calls it at the end of a sync). */
  flush(): void {
    this.#beBatch.flush();
    this.#feBatch.flush();
  }

  frontends(): Iterable<[NatFrontendKey, NatFrontendValue]> {
    this.flush();
    return [...this.#fe.entries()];
  }

  putFrontend(key: NatFrontendKey, value: NatFrontendValue): void {
    this.#beBatch.flush();
    // Straight into the batch buffers: no key and value buffer per entry (a cold start writes 110k).
    this.#feBatch.putEncoded(writeFrontendEntry, key, value);
  }

  deleteFrontend(key: NatFrontendKey): boolean {
    this.flush();
    return absentIsFalse(() => this.#fe.delete(key));
  }

  backends(): Iterable<[NatBackendKey, NatBackendValue]> {
    this.flush();
    return [...this.#be.entries()];
  }

  putBackend(key: NatBackendKey, value: NatBackendValue): void {
    this.#feBatch.flush();
    this.#beBatch.putEncoded(writeBackendEntry, key, value);
  }

  deleteBackend(key: NatBackendKey): boolean {
    this.flush();
    return absentIsFalse(() => this.#be.delete(key.svcId, key.index));
  }

  sourceRanges(): Iterable<NatSourceRangeKey> {
    this.flush();
    return this.#src === undefined ? [] : [...this.#src.entries()];
  }

  putSourceRange(key: NatSourceRangeKey): void {
    this.flush();
    if (this.#src === undefined)
      throw new Error(
        `put source range "${key.cidr}" of service ${key.svcId}: map "${SL_MAP.nat_src}" was not given to KernelNatMapBackend`,
      );
    this.#src.allow(key);
  }

  deleteSourceRange(key: NatSourceRangeKey): boolean {
    this.flush();
    const src = this.#src;
    return src === undefined ? false : absentIsFalse(() => src.delete(key));
  }

  conntrack(touching?: ReadonlySet<number>): Iterable<CtEntryView> {
    this.flush();
    return touching === undefined ? this.#ct.entries() : this.#ct.natEntriesTouching(touching);
  }

  conntrackOffLoop(touching: ReadonlySet<number>): Promise<Iterable<CtEntryView>> {
    this.flush();
    return this.#ct.natEntriesTouchingAsync(touching);
  }

  putConntrack(entry: CtEntryView): void {
    this.flush();
    const e = normaliseCtKey(entry);
    const [k, v] = encodeCtEntry({
      a: e.a,
      b: e.b,
      proto: e.proto,
      type: e.type,
      nat: e.nat,
      flags: 0,
      legA: 0,
      legB: 0,
      createdNs: 0n,
      lastSeenNs: 0n,
      tunIp: "0.0.0.0",
    });
    this.#ctRaw.update(k, v);
  }

  deleteConntrack(key: CtKey): boolean {
    this.flush();
    // ConntrackMap normalises the tuple, so a key from a dump (already normal) maps to itself.
    return absentIsFalse(() =>
      this.#ct.delete({
        src: key.a.addr,
        sport: key.a.port,
        dst: key.b.addr,
        dport: key.b.port,
        proto: key.proto,
      }),
    );
  }

  resetConntrack(key: CtKey): boolean {
    // Read-modify-write: the datapath may touch the entry between the two (a timestamp at most;
    // the flag is what matters, and a later sync sets it again if the flow is still there).
    const t = { src: key.a.addr, sport: key.a.port, dst: key.b.addr, dport: key.b.port, proto: key.proto };
    const e = this.#ct.get(t);
    if (e === undefined) return false;
    this.#ct.put({ ...e, flags: e.flags | SL_CT_F_RESET });
    return true;
  }

  affinity(svcIds?: ReadonlySet<number>): Iterable<AffinityEntryView> {
    this.flush();
    return this.#aff.entriesOf(svcIds);
  }

  putAffinity(entry: AffinityEntryView): void {
    this.flush();
    // AffinityMap has no writer (only the datapath creates entries), so encode with the codecs.
    const key = encodeSlAffinityKey({ svcId: entry.svcId, client: ipv4ToNumber(entry.client) });
    this.#affRaw.update(
      key,
      encodeSlAffinityValue({ tsNs: 0n, addr: ipv4ToNumber(entry.backend.addr), port: entry.backend.port }),
    );
  }

  deleteAffinity(key: AffinityKey): boolean {
    this.flush();
    return absentIsFalse(() => this.#aff.delete(key.svcId, key.client));
  }
}

function absentIsFalse(del: () => void): boolean {
  try {
    del();
    return true;
  } catch (err) {
    if (err instanceof KeyNotFoundError) return false;
    throw err;
  }
}
