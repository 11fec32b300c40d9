/**
 * selectStaleAffinity picks the ClientIP affinity entries that would pin a client to a backend
 * its service no longer has (or to a service id that is gone). The datapath trusts an affinity
 * entry within its timeout without re-checking the backend list, so these must be deleted for
 * new connections to go to a live backend.
 */
import type { NatState } from "./nat-state.ts";

/** AffinityEntryView is the part of a decoded sl_affinity entry the selection reads. */
export interface AffinityEntryView {
  readonly svcId: number;
  readonly client: string;
  readonly backend: { readonly addr: string; readonly port: number };
}

/** AffinityKey identifies an affinity entry. */
export interface AffinityKey {
  readonly svcId: number;
  readonly client: string;
}

/** selectStaleAffinity returns the keys of entries whose backend is not in `desired`'s list for their id. */
export function selectStaleAffinity(entries: Iterable<AffinityEntryView>, desired: NatState): AffinityKey[] {
  const list = [...entries];
  if (list.length === 0) return []; // most syncs meet an empty map
  // The live backends of the ids the entries name only: a set of every desired backend was
  // 100k strings at 10k Services × 10, ~60–110 ms on every change that removed a backend
  // while sl_affinity held a single entry.
  const ids = new Set(list.map((e) => e.svcId));
  const live = new Set<string>();
  for (const be of desired.backends.values())
    if (ids.has(be.key.svcId)) live.add(`${be.key.svcId}/${be.value.addr}:${be.value.port}`);
  const out: AffinityKey[] = [];
  for (const e of list)
    if (!live.has(`${e.svcId}/${e.backend.addr}:${e.backend.port}`))
      out.push({ svcId: e.svcId, client: e.client });
  return out;
}
