/**
 * InMemoryNatMapBackend is the NatMapBackend fake: plain Maps keyed like the kernel's maps (the
 * conntrack key is normalised the same way), plus a count of every write and delete so tests can
 * assert that a sync wrote nothing.
 */
import { backendKeyId, frontendKeyId, sourceRangeKeyId } from "../calc/index.ts";
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
import { SL_CT_F_RESET } from "../datapath/abi/abi.ts";
import type { NatMapBackend } from "./nat-map-backend.ts";
import { normaliseCtKey } from "./normalise-ct-key.ts";
import { decodeNatSourceRangeKey, encodeNatSourceRangeKey } from "../datapath/maps/nat-source-range-map.ts";

const ctId = (k: CtKey): string => `${k.a.addr}:${k.a.port}|${k.b.addr}:${k.b.port}/${k.proto}`;
const affinityId = (k: AffinityKey): string => `${k.svcId}|${k.client}`;

/** InMemoryNatMapBackendOptions: map capacities (default unbounded), enforced as the kernel does. */
export interface InMemoryNatMapBackendOptions {
  readonly capacity?: Partial<NatCapacity>;
}

/** InMemoryNatMapBackend keeps the five maps in memory; a put of a new key into a full map throws E2BIG, as bpf(2) does. */
export class InMemoryNatMapBackend implements NatMapBackend {
  readonly #capacity: NatCapacity;
  readonly #fe = new Map<string, [NatFrontendKey, NatFrontendValue]>();
  readonly #be = new Map<string, [NatBackendKey, NatBackendValue]>();
  readonly #src = new Map<string, NatSourceRangeKey>();
  readonly #ct = new Map<string, CtEntryView>();
  readonly #aff = new Map<string, AffinityEntryView>();
  /** writes counts every put and every delete that removed something. */
  writes = 0;

  constructor(options: InMemoryNatMapBackendOptions = {}) {
    this.#capacity = { frontends: Infinity, backends: Infinity, sourceRanges: Infinity, ...options.capacity };
  }

  capacity(): NatCapacity {
    return this.#capacity;
  }

  #room(map: Map<string, unknown>, id: string, cap: number, name: string): void {
    if (!map.has(id) && map.size >= cap)
      throw new Error(`update map "${name}": E2BIG (map full: ${cap} entries)`);
  }

  frontends(): Iterable<[NatFrontendKey, NatFrontendValue]> {
    return [...this.#fe.values()];
  }

  putFrontend(key: NatFrontendKey, value: NatFrontendValue): void {
    this.#room(this.#fe, frontendKeyId(key), this.#capacity.frontends, "sl_nat_fe");
    this.writes++;
    this.#fe.set(frontendKeyId(key), [{ ...key }, { ...value }]);
  }

  deleteFrontend(key: NatFrontendKey): boolean {
    return this.#count(this.#fe.delete(frontendKeyId(key)));
  }

  backends(): Iterable<[NatBackendKey, NatBackendValue]> {
    return [...this.#be.values()];
  }

  putBackend(key: NatBackendKey, value: NatBackendValue): void {
    this.#room(this.#be, backendKeyId(key), this.#capacity.backends, "sl_nat_be");
    this.writes++;
    this.#be.set(backendKeyId(key), [{ ...key }, { ...value }]);
  }

  deleteBackend(key: NatBackendKey): boolean {
    return this.#count(this.#be.delete(backendKeyId(key)));
  }

  sourceRanges(): Iterable<NatSourceRangeKey> {
    return [...this.#src.values()];
  }

  putSourceRange(key: NatSourceRangeKey): void {
    // Like the LPM key, host bits do not count: "10.1.2.3/8" is 10.0.0.0/8.
    const normal = { svcId: key.svcId, cidr: normaliseCidr(key.cidr) };
    this.#room(this.#src, sourceRangeKeyId(normal), this.#capacity.sourceRanges, "sl_nat_src");
    this.writes++;
    this.#src.set(sourceRangeKeyId(normal), normal);
  }

  deleteSourceRange(key: NatSourceRangeKey): boolean {
    return this.#count(
      this.#src.delete(sourceRangeKeyId({ svcId: key.svcId, cidr: normaliseCidr(key.cidr) })),
    );
  }

  conntrack(): Iterable<CtEntryView> {
    return [...this.#ct.values()];
  }

  /** conntrackOffLoop: every entry, as conntrack() (a live map reads on a worker thread). */
  async conntrackOffLoop(): Promise<Iterable<CtEntryView>> {
    return this.conntrack();
  }

  putConntrack(entry: CtEntryView): void {
    this.writes++;
    const normal = normaliseCtKey(entry);
    this.#ct.set(ctId(normal), normal);
  }

  deleteConntrack(key: CtKey): boolean {
    return this.#count(this.#ct.delete(ctId(normaliseCtKey(key))));
  }

  resetConntrack(key: CtKey): boolean {
    const id = ctId(normaliseCtKey(key));
    const e = this.#ct.get(id);
    if (e === undefined) return false;
    this.writes++;
    this.#ct.set(id, { ...e, flags: (e.flags ?? 0) | SL_CT_F_RESET });
    return true;
  }

  affinity(): Iterable<AffinityEntryView> {
    return [...this.#aff.values()];
  }

  putAffinity(entry: AffinityEntryView): void {
    this.writes++;
    this.#aff.set(affinityId(entry), {
      svcId: entry.svcId,
      client: entry.client,
      backend: { ...entry.backend },
    });
  }

  deleteAffinity(key: AffinityKey): boolean {
    return this.#count(this.#aff.delete(affinityId(key)));
  }

  #count(deleted: boolean): boolean {
    if (deleted) this.writes++;
    return deleted;
  }
}

/** normaliseCidr clears host bits through the real key codec, so the fake keys exactly like the trie. */
function normaliseCidr(cidr: string): string {
  return decodeNatSourceRangeKey(encodeNatSourceRangeKey({ svcId: 0, cidr })).cidr;
}
