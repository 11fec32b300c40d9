/**
 * bpf(2) link commands: BPF_LINK_CREATE (tcx, xdp), BPF_LINK_UPDATE (atomic program swap) and
 * BPF_LINK_DETACH. A link holds the attachment for as long as its fd or a bpffs pin exists.
 */
import { BpfAttr, BpfCommand, bpfSyscall } from "./bpf.ts";
import type { SyscallErrorOptions } from "./errno.ts";
import { Fd } from "./fd.ts";

/** LinkFlag holds the mprog flags for tcx ordering and replacement (uapi BPF_F_*). */
export const LinkFlag = {
  Replace: 1 << 2,
  Before: 1 << 3,
  After: 1 << 4,
  Id: 1 << 5,
  Link: 1 << 13,
} as const;

/** LinkCreateAttr is what BPF_LINK_CREATE needs for netdevice hooks. */
export interface LinkCreateAttr {
  readonly progFd: number;
  readonly ifindex: number;
  readonly attachType: number;
  readonly flags?: number;
  /** tcx only: fd or id of the program/link to order against (with Before/After). */
  readonly relative?: number;
  /** tcx only: fail with ESTALE unless the hook's revision still matches. */
  readonly expectedRevision?: bigint;
}

/** linkCreate attaches a program and returns the link fd. `errorOptions` lets callers name the feature. */
export function linkCreate(a: LinkCreateAttr, op: string, errorOptions?: SyscallErrorOptions): Fd {
  const attr = new BpfAttr()
    .u32(0, a.progFd)
    .u32(4, a.ifindex)
    .u32(8, a.attachType)
    .u32(12, a.flags ?? 0)
    .u32(16, a.relative ?? 0)
    .u64(24, a.expectedRevision ?? 0n);
  return new Fd(bpfSyscall(BpfCommand.LinkCreate, attr, op, errorOptions));
}

/**
 * linkUpdate swaps the link's program in one step (no window without a program). With
 * `oldProgFd` the kernel refuses (EPERM) unless that program is the one currently attached.
 */
export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number): void {
  const attr = new BpfAttr().u32(0, linkFd).u32(4, newProgFd);
  if (oldProgFd !== undefined) attr.u32(8, LinkFlag.Replace).u32(12, oldProgFd);
  bpfSyscall(BpfCommand.LinkUpdate, attr, "update link", { detail: `link fd ${linkFd}` });
}

/** linkDetach detaches the link's program now, even while pins or other fds keep the link object. */
export function linkDetach(linkFd: number): void {
  bpfSyscall(BpfCommand.LinkDetach, new BpfAttr().u32(0, linkFd), "detach link", {
    feature: { name: "link detach", minKernel: "5.9" },
  });
}
