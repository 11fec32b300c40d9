/**
 * planPolicyAdoption reads what an earlier agent left in sl_pol_endpoints and sl_pol_jump and
 * says which slots each endpoint's programs occupy, so a new agent can reserve them before it
 * loads anything (PolicyProgrammer.adopt). An entry holds only each hook's chunk-0 slot; a
 * program's chunks are one consecutive run (compilePolicy's contract), so its run is the
 * occupied slots from its base up to the first empty slot or the next endpoint's base. Occupied
 * slots no entry reaches (an agent stopped between loading and switching) are orphans: nothing
 * jumps there, so they are cleared at once. The untrackedIngress hook's programs live in their own
 * prog array (sl_pol_jump_xdp), so its runs and orphans are found there. Pure.
 */
import type { SlPolEndpoint } from "../abi/abi.ts";
import type { PolicyHook } from "../../policy/rule-ids.ts";
import { POLICY_HOOKS, POLICY_SLOT_FIELD, XDP_HOOK, type AdoptedEndpoint } from "./policy-programmer.ts";

/** PolicyAdoption is the plan: endpoints with their runs, and the orphan slots to clear (per prog array). */
export interface PolicyAdoption {
  readonly endpoints: readonly AdoptedEndpoint[];
  readonly orphans: readonly number[];
  /** Orphans in sl_pol_jump_xdp (the untrackedIngress hook's array). */
  readonly xdpOrphans: readonly number[];
}

type Run = { base: number; count: number; empty?: true };

/**
 * planPolicyAdoption plans the adoption of `entries` given the occupied slots of first..last in
 * sl_pol_jump and, when given, in sl_pol_jump_xdp (same range): each array's runs are found
 * among the hooks whose programs live there (XDP_HOOK in the XDP one). Without `xdpOccupied` an
 * XDP hook's slot is recorded but not reserved.
 */
export function planPolicyAdoption(
  entries: ReadonlyMap<number, SlPolEndpoint>,
  occupied: readonly number[],
  range: { readonly first: number; readonly last: number },
  xdpOccupied?: readonly number[],
): PolicyAdoption {
  const sorted = [...entries].sort(([a], [b]) => a - b);
  const tc = planRuns(
    sorted,
    POLICY_HOOKS.filter((h) => h !== XDP_HOOK),
    occupied,
    range,
  );
  const xdp = planRuns(sorted, [XDP_HOOK], xdpOccupied ?? [], xdpOccupied === undefined ? EMPTY : range);
  const endpoints = sorted.map(([ifindex, e]): AdoptedEndpoint => {
    const hooks = new Map<PolicyHook, Run>();
    for (const h of POLICY_HOOKS) {
      const run = (h === XDP_HOOK ? xdp : tc).runs.get(ifindex)?.get(h);
      if (run !== undefined) hooks.set(h, run);
    }
    return { ifindex, flags: e.flags, hooks };
  });
  return { endpoints, orphans: tc.orphans, xdpOrphans: xdp.orphans };
}

/** EMPTY is a range no slot lies in: every hook's slot is recorded with count 0. */
const EMPTY = { first: 1, last: 0 };

function planRuns(
  entries: readonly (readonly [number, SlPolEndpoint])[],
  hooksHere: readonly PolicyHook[],
  occupied: readonly number[],
  range: { readonly first: number; readonly last: number },
): { runs: Map<number, Map<PolicyHook, Run>>; orphans: number[] } {
  const full = new Set(occupied);
  const inRange = (s: number): boolean => s >= range.first && s <= range.last;
  const bases = new Set<number>();
  for (const [, e] of entries)
    for (const h of hooksHere) if (inRange(e[POLICY_SLOT_FIELD[h]])) bases.add(e[POLICY_SLOT_FIELD[h]]);
  const claimed = new Set<number>();
  const covered = new Set<number>();
  const runs = new Map<number, Map<PolicyHook, Run>>();
  for (const [ifindex, e] of entries) {
    const hooks = new Map<PolicyHook, Run>();
    runs.set(ifindex, hooks);
    for (const h of hooksHere) {
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
  }
  const orphans = occupied.filter((s) => inRange(s) && !covered.has(s));
  return { runs, orphans };
}
