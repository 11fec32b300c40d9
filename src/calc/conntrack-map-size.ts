/**
 * conntrackMapSize is sl_ct's max_entries: bpfMapSizeConntrack, or — under
 * bpfMapSizeConntrackScaling DoubleIfFull — the larger size the sweeper grew the table to. A
 * grown table outlives the agent in its pin, so a restarted agent keeps a pinned size that is the
 * configured one doubled k times (it was grown, not configured) instead of shrinking it and
 * dropping live flows; any other pinned size is a configuration change and is rebuilt to the
 * configured size. Pure.
 */

/** ConntrackSizeInput is what the size depends on. */
export interface ConntrackSizeInput {
  /** bpfMapSizeConntrack (default 512,000). */
  readonly configured: number;
  /** max_entries of the pinned sl_ct, when there is one. */
  readonly pinned?: number | undefined;
  /** The size the sweeper asked for during this agent's life. */
  readonly grownTo?: number | undefined;
  readonly doubleIfFull: boolean;
}

/** isDoubling says `size` is `base` doubled one or more times. */
export function isDoubling(size: number, base: number): boolean {
  if (base <= 0 || size <= base) return false;
  let s = base;
  while (s < size) s *= 2;
  return s === size;
}

/** conntrackMapSize picks sl_ct's max_entries (see the module comment). */
export function conntrackMapSize(i: ConntrackSizeInput): number {
  if (!i.doubleIfFull) return i.configured;
  let size = i.configured;
  if (i.pinned !== undefined && isDoubling(i.pinned, i.configured)) size = i.pinned;
  if (i.grownTo !== undefined && isDoubling(i.grownTo, i.configured) && i.grownTo > size) size = i.grownTo;
  return size;
}
