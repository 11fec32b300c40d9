/**
 * occupiedSlots is the rule that lets a restarted agent stop probing a policy prog array early.
 * Every program in sl_pol_jump (or sl_pol_jump_xdp) is a policy chunk an agent loaded, so it is
 * also in the kernel's program table, named sl_pol_*, of the array's program type. Once the probe
 * has met every such program the kernel holds, no slot further on can hold one: the rest of the
 * array is empty and need not be looked up (~15k lookups per array, ~50 ms each here). A program
 * that is in no slot (another agent's on the same kernel, one being loaded) is never met, and
 * then the probe runs to the end, as without the rule. Pure: the scan is given.
 */

/** SlotScan visits the slots holding a program, in order, with the program's id, until told to stop. */
export type SlotScan = (visit: (slot: number, programId: number) => boolean) => void;

/**
 * occupiedSlots lists the slots `scan` finds; with `programs` (the ids of every program that could
 * be in the array) it stops once each was met, and probes nothing when there is none.
 */
export function occupiedSlots(scan: SlotScan, programs?: ReadonlySet<number>): number[] {
  const out: number[] = [];
  const left = programs === undefined ? undefined : new Set(programs);
  if (left?.size === 0) return out;
  scan((slot, id) => {
    out.push(slot);
    if (left === undefined) return true;
    left.delete(id);
    return left.size > 0;
  });
  return out;
}
