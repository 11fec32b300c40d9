/**
 * computeServiceNats runs computeServiceNat for every Service in name order — the order that
 * decides who keeps a frontend two Services claim — reusing a NatCache entry when its Service
 * object, its EndpointSlice objects, the claims of earlier Services on its frontends and the ids
 * the allocator gives its views are all unchanged. The allocator is still asked for every view
 * of every Service, in the same order as without a cache, so its state evolves identically and
 * a result with or without the cache is the same.
 */
import type { EndpointSlice, Service } from "../model/index.ts";
import { computeServiceNat, serviceName } from "./compute-service-nat.ts";
import type { ServiceNat } from "./compute-service-nat.ts";
import { NatCache } from "./nat-cache.ts";
import type { NatCacheEntry } from "./nat-cache.ts";
import type { NatInput } from "./nat-input.ts";
import { groupSlices } from "./group-slices.ts";
import { frontendKeyId } from "./nat-state.ts";
import type { ServiceIdSource } from "./service-id-allocator.ts";

const NO_SLICES: readonly EndpointSlice[] = [];

/**
 * computeServiceNats returns each Service's result in name order; `cache` defaults to a
 * throwaway one. `slicesByService` is groupSlices(input.endpointSlices), when the caller has it.
 */
export function computeServiceNats(
  input: NatInput,
  ids: ServiceIdSource,
  cache: NatCache = new NatCache(),
  slicesByService: ReadonlyMap<string, readonly EndpointSlice[]> = groupSlices(input.endpointSlices),
): ServiceNat[] {
  cache.forNode(input.nodeName, input.nodeAddresses);
  // Sorted so that a frontend claimed by two Services goes to the same one every time.
  const services = input.services
    .map((svc) => ({ svc, name: serviceName(svc) }))
    .sort((a, b) => compareText(a.name, b.name));
  const claimed = new Map<string, string>();
  const claimedBy = (keyId: string): string | undefined => claimed.get(keyId);
  const ctx = { nodeName: input.nodeName, nodeAddresses: input.nodeAddresses, ids, claimedBy };
  const out: ServiceNat[] = [];
  let distinct = 0;
  let previous: string | undefined;
  for (const { svc, name } of services) {
    if (name !== previous) distinct++; // sorted: equal names are neighbours
    previous = name;
    const slices = slicesByService.get(name) ?? NO_SLICES;
    const cached = cache.get(name);
    let result: ServiceNat;
    if (cached !== undefined && reusable(cached, svc, slices, claimsOf(cached.result.wanted, claimed), ids)) {
      result = cached.result;
    } else {
      result = computeServiceNat(svc, slices, ctx, name);
      cache.set(name, { service: svc, slices, claims: claimsOf(result.wanted, claimed), result });
    }
    for (const fe of result.frontends) claimed.set(frontendKeyId(fe.key), fe.servicePort ?? "?");
    out.push(result);
  }
  // Every name has its entry now, so the cache holds deleted Services only when it holds more
  // entries than there are names: a set of every name (100k at 100k Services) only then.
  if (cache.size > distinct) cache.retainOnly(new Set(services.map((s) => s.name)));
  return out;
}

function reusable(
  entry: NatCacheEntry,
  svc: Service,
  slices: readonly EndpointSlice[],
  claims: string,
  ids: ServiceIdSource,
): boolean {
  if (entry.service !== svc || entry.claims !== claims || !sameObjects(entry.slices, slices)) return false;
  // A known key returns its id without side effects; an unknown or changed one means recompute
  // (which asks again with the same key and frontends, so the allocator ends up where it would).
  return entry.result.views.every((v) => ids.idFor(v.idKey, v.keys) === v.svcId);
}

function claimsOf(wanted: readonly string[], claimed: ReadonlyMap<string, string>): string {
  let out = "";
  for (const id of wanted) {
    const by = claimed.get(id);
    if (by !== undefined) out += `${id}=${by}\n`;
  }
  return out;
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
