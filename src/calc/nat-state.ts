/**
 * NatState: the desired (or actual) contents of sl_nat_fe and sl_nat_be for one node, as plain
 * data — dotted addresses and host-order numbers; the generated codecs do byte order. Keys are
 * also given as strings (frontendKeyId, backendKeyId) so states can be diffed with Maps.
 */

/** NatFrontendKey is struct sl_nat_fe_key: a service address; "0.0.0.0" is the NodePort wildcard. */
export interface NatFrontendKey {
  readonly addr: string;
  readonly port: number;
  /** IANA protocol number (6 TCP, 17 UDP, 132 SCTP). */
  readonly proto: number;
}

/** NatFrontendValue is struct sl_nat_fe_value (flags are SL_NAT_FE_*). */
export interface NatFrontendValue {
  readonly svcId: number;
  readonly count: number;
  readonly localCount: number;
  readonly flags: number;
  readonly affinityTimeoutS: number;
}

/** NatBackendKey is struct sl_nat_be_key. */
export interface NatBackendKey {
  readonly svcId: number;
  readonly index: number;
}

/** NatBackendValue is struct sl_nat_be_value: one backend address and port. */
export interface NatBackendValue {
  readonly addr: string;
  readonly port: number;
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

/** NatState is a full set of frontends and backends, indexed by frontendKeyId / backendKeyId. */
export interface NatState {
  readonly frontends: ReadonlyMap<string, NatFrontendEntry>;
  readonly backends: ReadonlyMap<string, NatBackendEntry>;
}

/** frontendKeyId is the Map key of a frontend: "addr:port/proto". */
export function frontendKeyId(k: NatFrontendKey): string {
  return `${k.addr}:${k.port}/${k.proto}`;
}

/** backendKeyId is the Map key of a backend slot: "svcId#index". */
export function backendKeyId(k: NatBackendKey): string {
  return `${k.svcId}#${k.index}`;
}

/** natStateOf builds a NatState from entry lists (later entries with the same key win). */
export function natStateOf(frontends: Iterable<NatFrontendEntry>, backends: Iterable<NatBackendEntry>): NatState {
  return {
    frontends: new Map([...frontends].map((e) => [frontendKeyId(e.key), e])),
    backends: new Map([...backends].map((e) => [backendKeyId(e.key), e])),
  };
}
