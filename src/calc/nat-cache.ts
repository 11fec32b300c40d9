/**
 * NatCache remembers each Service's computeServiceNat result between computations, so a sync
 * after one change recomputes that one Service. It is plain data owned by the caller (one per
 * NatReconciler), not I/O: computeServiceNats reads and refills it.
 *
 * Entries are keyed by object identity. That is sound because nothing mutates a resource in
 * place: the datastore emits an `updated` event only when a resource's fingerprint changes, with
 * a freshly parsed object, and ClusterCache replaces the stored object on that event and keeps
 * the old one otherwise (src/datastore/datastore-state.ts diffStates, src/agent/cluster-cache.ts).
 * A caller that mutated objects in place would have to clear() the cache.
 */
import type { EndpointSlice, Service } from "../model/index.ts";
import type { ServiceNat } from "./compute-service-nat.ts";

/** NatCacheEntry is one Service's last result and what it was computed from. */
export interface NatCacheEntry {
  readonly service: Service;
  readonly slices: readonly EndpointSlice[];
  /** Which of the Service's wanted frontends earlier Services held, as "keyId=servicePort" lines. */
  readonly claims: string;
  readonly result: ServiceNat;
}

/** NatCache maps "namespace/name" to its last entry, for one node identity. */
export class NatCache {
  #node: string | undefined;
  readonly #entries = new Map<string, NatCacheEntry>();

  /** forNode drops every entry when the node's name or addresses differ from the last call's. */
  forNode(nodeName: string, nodeAddresses: readonly string[]): void {
    const node = `${nodeName}\n${nodeAddresses.join(",")}`;
    if (node === this.#node) return;
    this.#node = node;
    this.#entries.clear();
  }

  /** size is the number of Services with an entry. */
  get size(): number {
    return this.#entries.size;
  }

  /** get returns the entry of Service `name`. */
  get(name: string): NatCacheEntry | undefined {
    return this.#entries.get(name);
  }

  /** set stores the entry of Service `name`. */
  set(name: string, entry: NatCacheEntry): void {
    this.#entries.set(name, entry);
  }

  /** delete forgets Service `name`. */
  delete(name: string): void {
    this.#entries.delete(name);
  }

  /** retainOnly forgets every Service not in `names` (deleted ones), so the cache does not grow. */
  retainOnly(names: ReadonlySet<string>): void {
    for (const name of this.#entries.keys()) if (!names.has(name)) this.#entries.delete(name);
  }

  /** clear forgets everything. */
  clear(): void {
    this.#node = undefined;
    this.#entries.clear();
  }
}
