/**
 * NatState: the desired (or actual) contents of sl_nat_fe, sl_nat_be and sl_nat_src for one
 * node, as plain data — dotted addresses and host-order numbers; the generated codecs do byte
 * order. Keys are also given as strings (frontendKeyId, backendKeyId, sourceRangeKeyId) so states
 * can be diffed with Maps.
 */
import type { SlNatBeKey, SlNatBeValue, SlNatFeKey, SlNatFeValue, SlNatSrcKey } from "../datapath/abi/abi.ts";

/**
 * The entry types are the generated struct types (src/datapath/abi/abi.ts) — one struct shape per
 * map — with addresses shown as dotted quads (`WithAddr`) and CIDRs as text.
 */
type WithAddr<T, K extends keyof T> = Readonly<Omit<T, K>> & { readonly [P in K]: string };

/** NatFrontendKey is struct sl_nat_fe_key: a service address ("0.0.0.0" is the NodePort wildcard), port, IANA protocol number. */
export type NatFrontendKey = WithAddr<SlNatFeKey, "addr">;

/** NatFrontendValue is struct sl_nat_fe_value (flags are SL_NAT_FE_*). */
export type NatFrontendValue = Readonly<SlNatFeValue>;

/** NatBackendKey is struct sl_nat_be_key. */
export type NatBackendKey = Readonly<SlNatBeKey>;

/** NatBackendValue is struct sl_nat_be_value: one backend address and port. */
export type NatBackendValue = WithAddr<SlNatBeValue, "addr">;

/**
 * NatSourceRangeKey is struct sl_nat_src_key: one loadBalancerSourceRanges CIDR (host bits clear)
 * admitted to the frontends of `svcId` that carry SL_NAT_FE_SRC_RANGES. The entry has no value
 * beyond "allow".
 */
export type NatSourceRangeKey = Readonly<Pick<SlNatSrcKey, "svcId">> & {
  /** IPv4 CIDR with host bits clear, "198.18.0.0/16" (the key's addr and prefixlen). */
  readonly cidr: string;
};

/** NatSourceRangeEntry is one admitted CIDR with the Service port it belongs to. */
export interface NatSourceRangeEntry {
  readonly key: NatSourceRangeKey;
  /** The Service port ("namespace/name:port/PROTO"); absent for entries read back from the maps. */
  readonly servicePort?: string;
}

/** NatFrontendEntry is one frontend with the Service port it belongs to (`namespace/name:port/PROTO`). */
export interface NatFrontendEntry {
  readonly key: NatFrontendKey;
  readonly value: NatFrontendValue;
  /** The Service port this frontend serves; absent for entries read back from the maps. */
  readonly servicePort?: string;
}

/** NatBackendEntry is one backend slot. */
export interface NatBackendEntry {
  readonly key: NatBackendKey;
  readonly value: NatBackendValue;
}

/** NatState is a full set of frontends, backends and source ranges, indexed by their key ids. */
export interface NatState {
  readonly frontends: ReadonlyMap<string, NatFrontendEntry>;
  readonly backends: ReadonlyMap<string, NatBackendEntry>;
  readonly sourceRanges: ReadonlyMap<string, NatSourceRangeEntry>;
}

/** frontendKeyId is the Map key of a frontend: "addr:port/proto". */
export function frontendKeyId(k: NatFrontendKey): string {
  // Joined: one flat string, not a tree of cons strings (several maps keep one per frontend).
  return [k.addr, ":", k.port, "/", k.proto].join("");
}

/** backendKeyId is the Map key of a backend slot: "svcId#index". */
export function backendKeyId(k: NatBackendKey): string {
  return `${k.svcId}#${k.index}`;
}

/**
 * BackendSlots is a NatState's backends when they can be read by slot without making the slot's
 * key id (AppliedBackends): a diff of two such states over 100k backends then makes no string,
 * where two Maps keyed by "svcId#index" made and hashed two per slot (~0.15 s of a restart
 * without its snapshot at 10k Services, bench/README.md).
 */
export interface BackendSlots {
  slot(svcId: number, index: number): NatBackendEntry | undefined;
}

/** backendAt is the entry of slot (`svcId`, `index`) in `backends`: by slot when they can, else by key id. */
export function backendAt(
  backends: ReadonlyMap<string, NatBackendEntry>,
  svcId: number,
  index: number,
): NatBackendEntry | undefined {
  const slots = backends as Partial<BackendSlots>;
  return typeof slots.slot === "function"
    ? slots.slot(svcId, index)
    : backends.get(backendKeyId({ svcId, index }));
}

/** sourceRangeKeyId is the Map key of a source range: "svcId|cidr". */
export function sourceRangeKeyId(k: NatSourceRangeKey): string {
  return `${k.svcId}|${k.cidr}`;
}

/** natStateOf builds a NatState from entry lists (later entries with the same key win). */
export function natStateOf(
  frontends: Iterable<NatFrontendEntry>,
  backends: Iterable<NatBackendEntry>,
  sourceRanges: Iterable<NatSourceRangeEntry> = [],
): NatState {
  return {
    frontends: new Map([...frontends].map((e) => [frontendKeyId(e.key), e])),
    backends: new Map([...backends].map((e) => [backendKeyId(e.key), e])),
    sourceRanges: new Map([...sourceRanges].map((e) => [sourceRangeKeyId(e.key), e])),
  };
}
