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
  // Built on the first entry only: most syncs meet an empty map, and the set costs O(backends).
  let live: Set<string> | undefined;
  const out: AffinityKey[] = [];
  for (const e of entries) {
    live ??= new Set(
      [...desired.backends.values()].map((be) => `${be.key.svcId}/${be.value.addr}:${be.value.port}`),
    );
    if (!live.has(`${e.svcId}/${e.backend.addr}:${e.backend.port}`))
      out.push({ svcId: e.svcId, client: e.client });
  }
  return out;
}
