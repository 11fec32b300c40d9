/**
 * RuleIdAllocator: stable numeric ids for rules and pseudo-rules (end of tier, endpoint default),
 * below SL_POL_HITS_MAX_ENTRIES because the hit counters are an array indexed by them. An id is
 * keyed by what the rule is (policy id, hook, index and the rule's own text), so it survives
 * recompiles while the rule does not change; owners (one endpoint program each) hold ids, and an
 * id no owner holds is freed. `info(id)` is the reverse lookup for dumps, flow logs and explain.
 */
import { SL_POL_HITS_MAX_ENTRIES } from "../datapath/abi/abi.ts";
import type { RuleAction } from "./rule-ir.ts";

/**
 * LOG_LOST_HIT_ID is the sl_pol_hits slot no rule gets: a Log rule's event that finds
 * sl_pol_events full is counted there (the generated code's side of the ring, where flow events
 * count SL_R_EVENT_LOST in sl_counters, which policy programs do not reference).
 */
export const LOG_LOST_HIT_ID = SL_POL_HITS_MAX_ENTRIES - 1;

/** PolicyHook is where a program runs: the two workload directions and the host-endpoint stages. */
export type PolicyHook =
  | "ingress"
  | "egress"
  | "preDnatIngress"
  | "untrackedIngress"
  | "untrackedEgress"
  | "forwardIngress"
  | "forwardEgress";

/** RuleInfo says what a rule id stands for. */
export interface RuleInfo {
  readonly kind: "rule" | "endOfTier" | "default";
  readonly hook: PolicyHook;
  /** Empty for "default". */
  readonly tier: string;
  /** Calico's policy name ("knp.default.x", "allow-web"); empty for pseudo-rules. */
  readonly policy: string;
  readonly namespace?: string;
  /** The policy's stable id ("np/ns/name"); empty for pseudo-rules. */
  readonly policyId: string;
  /** The rule's index in its policy's list for the direction; -1 for pseudo-rules. */
  readonly ruleIndex: number;
  readonly action: RuleAction;
}

/** ruleLabel is the flow-log form: "tier|namespace/policy|action|rule-index". */
export function ruleLabel(info: RuleInfo): string {
  const policy =
    info.kind === "rule"
      ? info.namespace === undefined
        ? info.policy
        : `${info.namespace}/${info.policy}`
      : info.kind === "endOfTier"
        ? "end-of-tier"
        : "default";
  return `${info.tier}|${policy}|${info.action}|${info.ruleIndex}`;
}

interface Slot {
  readonly id: number;
  readonly info: RuleInfo;
  owners: number;
}

/** RuleIdAllocator hands out and frees rule ids; one per agent (ids are node-local). */
export class RuleIdAllocator {
  readonly #max: number;
  readonly #byKey = new Map<string, Slot>();
  readonly #byId = new Map<number, { key: string; slot: Slot }>();
  readonly #owners = new Map<string, Set<string>>();
  readonly #free: number[] = [];
  #next = 0;

  constructor(max: number = LOG_LOST_HIT_ID) {
    this.#max = max;
  }

  /**
   * assign gives `owner` (e.g. "pod/ns/a|ingress") exactly the ids of `entries` (key + info, in
   * order) and returns them; ids the owner held before and no longer uses are released.
   */
  assign(owner: string, entries: ReadonlyArray<{ readonly key: string; readonly info: RuleInfo }>): number[] {
    const before = this.#owners.get(owner) ?? new Set<string>();
    const after = new Set<string>();
    const ids = entries.map(({ key, info }) => {
      let slot = this.#byKey.get(key);
      if (slot === undefined) {
        slot = { id: this.#allocate(key), info, owners: 0 };
        this.#byKey.set(key, slot);
        this.#byId.set(slot.id, { key, slot });
      }
      if (!after.has(key)) {
        after.add(key);
        if (!before.has(key)) slot.owners++;
      }
      return slot.id;
    });
    for (const key of before) if (!after.has(key)) this.#drop(key);
    if (after.size === 0) this.#owners.delete(owner);
    else this.#owners.set(owner, after);
    return ids;
  }

  /** release frees everything an owner holds (its program is gone). */
  release(owner: string): void {
    this.assign(owner, []);
  }

  /** info is the reverse lookup: what an id stands for, or undefined when it is free. */
  info(id: number): RuleInfo | undefined {
    return this.#byId.get(id)?.slot.info;
  }

  /** size is how many ids are in use. */
  get size(): number {
    return this.#byId.size;
  }

  #allocate(key: string): number {
    const id = this.#free.pop() ?? (this.#next < this.#max ? this.#next++ : undefined);
    if (id === undefined)
      throw new Error(`policy rule ids exhausted: ${this.#max} in use, cannot give one to "${key}"`);
    return id;
  }

  #drop(key: string): void {
    const slot = this.#byKey.get(key);
    if (slot === undefined || --slot.owners > 0) return;
    this.#byKey.delete(key);
    this.#byId.delete(slot.id);
    this.#free.push(slot.id);
  }
}
