/**
 * planPolicyAdoption reads what an earlier agent left in sl_pol_endpoints and sl_pol_jump and
 * says which slots each endpoint's programs occupy, so a new agent can reserve them before it
 * loads anything (PolicyProgrammer.adopt). An entry holds only each hook's chunk-0 slot; a
 * program's chunks are one consecutive run (compilePolicy's contract), so its run is the
 * occupied slots from its base up to the first empty slot or the next endpoint's base. Occupied
 * slots no entry reaches (an agent stopped between loading and switching) are orphans: nothing
 * jumps there, so they are cleared at once. Pure.
 */
import type { SlPolEndpoint } from "../abi/abi.ts";
import type { PolicyHook } from "../../policy/rule-ids.ts";
import { POLICY_HOOKS, POLICY_SLOT_FIELD, type AdoptedEndpoint } from "./policy-programmer.ts";

/** PolicyAdoption is the plan: endpoints with their runs, and the orphan slots to clear. */
export interface PolicyAdoption {
  readonly endpoints: readonly AdoptedEndpoint[];
  readonly orphans: readonly number[];
}

/** planPolicyAdoption plans the adoption of `entries` given the occupied slots of first..last. */
export function planPolicyAdoption(
  entries: ReadonlyMap<number, SlPolEndpoint>,
  occupied: readonly number[],
  range: { readonly first: number; readonly last: number },
): PolicyAdoption {
  const full = new Set(occupied);
  const inRange = (s: number): boolean => s >= range.first && s <= range.last;
  const bases = new Set<number>();
  for (const e of entries.values())
    for (const h of POLICY_HOOKS) if (inRange(e[POLICY_SLOT_FIELD[h]])) bases.add(e[POLICY_SLOT_FIELD[h]]);
  const claimed = new Set<number>();
  const covered = new Set<number>();
  const endpoints = [...entries]
    .sort(([a], [b]) => a - b)
    .map(([ifindex, e]): AdoptedEndpoint => {
      const hooks = new Map<PolicyHook, { base: number; count: number; empty?: true }>();
      for (const h of POLICY_HOOKS) {
        const base = e[POLICY_SLOT_FIELD[h]];
        if (base === 0) continue;
        // Outside the range (the fail-closed slot) or shared with an earlier entry: nothing to reserve.
        if (!inRange(base) || claimed.has(base)) {
          hooks.set(h, { base, count: 0 });
          continue;
        }
        claimed.add(base);
        // An empty base in range must still be reserved: a new program there would run for this entry.
        if (!full.has(base)) {
          hooks.set(h, { base, count: 1, empty: true });
          continue;
        }
        let count = 0;
        for (let s = base; s <= range.last && full.has(s) && (s === base || !bases.has(s)); s++) {
          covered.add(s);
          count++;
        }
        hooks.set(h, { base, count });
      }
      return { ifindex, flags: e.flags, hooks };
    });
  const orphans = occupied.filter((s) => inRange(s) && !covered.has(s));
  return { endpoints, orphans };
}
