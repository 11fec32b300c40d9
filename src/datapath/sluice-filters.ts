/**
 * Sluice's cls_bpf filters, found by what they carry rather than by pins: a filter is not a BPF
 * object, so nothing in bpffs records it, and a restarted agent (or the standard-dataplane
 * fallback) finds its filters by name (`sluice_*`) and priority/handle. Needs CAP_NET_ADMIN.
 */
import { Errno } from "../kernel/errno.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { listLinks } from "../netlink/links.ts";
import { deleteBpfFilter, listBpfFilters, type BpfFilter } from "../netlink/tc.ts";
import type { NetlinkOptions } from "../netlink/scope.ts";

/** SLUICE_FILTER_PREFIX starts the name of every cls_bpf filter the agent adds. */
export const SLUICE_FILTER_PREFIX = "sluice_";

/** SLUICE_FILTER_SLOT is the priority/handle of Sluice's one filter per hook. */
export const SLUICE_FILTER_SLOT = { priority: 1, handle: 1 } as const;

/** isSluiceFilter tells a filter the agent added from anyone else's. */
export function isSluiceFilter(f: Pick<BpfFilter, "name">): boolean {
  return f.name?.startsWith(SLUICE_FILTER_PREFIX) === true;
}

/** sluiceFilters lists the Sluice filters on both hooks of every interface. */
export function sluiceFilters(options: NetlinkOptions = {}): BpfFilter[] {
  const out: BpfFilter[] = [];
  for (const l of listLinks(options)) {
    for (const dir of ["ingress", "egress"] as const) {
      try {
        out.push(...listBpfFilters(l.index, dir, options).filter(isSluiceFilter));
      } catch (e) {
        // No clsact on this link (EINVAL/ENOENT), or the link went away mid-walk: no filters.
        if (!(e instanceof SyscallError)) throw e;
      }
    }
  }
  return out;
}

/**
 * removeSluiceFilters deletes every Sluice filter except on the interfaces in `keep` (by ifindex)
 * and returns what it removed. The clsact qdisc stays: deleting it would take other tools'
 * filters with it, and after a restart nothing tells whether Sluice or someone else added it.
 */
export function removeSluiceFilters(
  keep: ReadonlySet<number> = new Set(),
  options: NetlinkOptions = {},
): BpfFilter[] {
  const removed: BpfFilter[] = [];
  for (const f of sluiceFilters(options)) {
    if (keep.has(f.index)) continue;
    try {
      deleteBpfFilter(f.index, { direction: f.direction, priority: f.priority, handle: f.handle }, options);
      removed.push(f);
    } catch (e) {
      if (!(e instanceof SyscallError && (e.errno === Errno.ENOENT || e.errno === Errno.ENODEV))) throw e;
    }
  }
  return removed;
}
