/**
 * planServiceDelta narrows a sync to the Services whose computed entries changed: the entries
 * the previous results held for them (what the maps hold, once a sync has succeeded) and the
 * entries the new results want. planNatUpdate over these two partial states yields exactly the
 * ops — same order, same removed backends — that it yields over the whole states, because an
 * unchanged Service's entries are equal on both sides and no key is shared between Services:
 * frontends go to one Service (the first by name), and backends and source ranges are keyed by
 * a svc_id the allocator gives to one Service port only.
 *
 * "Changed" is object identity: computeServiceNats returns the cached result object for a
 * Service it did not recompute. Pure.
 */
import { natStateOf } from "../calc/index.ts";
import type { NatState, ServiceNat } from "../calc/index.ts";

/** ServiceDelta is the before/after of the changed Services only. */
export interface ServiceDelta {
  /** Entries of changed and removed Services as the maps hold them. */
  readonly actual: NatState;
  /** Entries of changed and added Services as they should be. */
  readonly desired: NatState;
  /** How many Services changed, were added or were removed. */
  readonly services: number;
  /** The results `actual` was built from (changed and removed Services' previous ones). */
  readonly before: readonly ServiceNat[];
  /** The results `desired` was built from (changed and added Services). */
  readonly after: readonly ServiceNat[];
}

/** planServiceDelta compares `previous` (by Service name) with `next`. */
export function planServiceDelta(
  previous: ReadonlyMap<string, ServiceNat>,
  next: readonly ServiceNat[],
): ServiceDelta {
  const before: ServiceNat[] = [];
  const after: ServiceNat[] = [];
  const seen = new Set<string>();
  for (const r of next) {
    seen.add(r.name);
    const old = previous.get(r.name);
    if (old === r) continue;
    if (old !== undefined) before.push(old);
    after.push(r);
  }
  for (const [name, old] of previous) if (!seen.has(name)) before.push(old);
  return {
    actual: natStateOf(
      before.flatMap((r) => r.frontends),
      before.flatMap((r) => [...r.backends]),
      before.flatMap((r) => r.sourceRanges),
    ),
    desired: natStateOf(
      after.flatMap((r) => r.frontends),
      after.flatMap((r) => [...r.backends]),
      after.flatMap((r) => r.sourceRanges),
    ),
    services: before.length + after.length,
    before,
    after,
  };
}
