/**
 * clsact qdisc and cls_bpf filters over rtnetlink: the tc attach path for kernels without tcx
 * (< 6.6). src/bpf/link/cls-bpf.ts builds its TcAttachment on these. Needs CAP_NET_ADMIN.
 *
 * Example:
 *   addClsact("eth0");
 *   attachBpfFilter("eth0", { direction: "ingress", fd: prog.fd, name: "tc.o:[tc]" });
 *   replaceBpfFilter("eth0", { direction: "ingress", fd: next.fd, name: "tc.o:[tc]" }); // atomic swap
 */
import { Errno } from "../kernel/errno.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { NlmFlags } from "./codec/nlmsg.ts";
import { Rtm } from "./codec/rtm.ts";
import {
  decodeBpfFilter,
  decodeQdisc,
  encodeBpfFilter,
  encodeClsact,
  encodeFilterDump,
  encodeQdiscDump,
  TcHandle,
  type BpfFilter,
  type TcDirection,
} from "./codec/tc.ts";
import { linkIndex, type LinkRef } from "./links.ts";
import { withRtnl, type NetlinkOptions } from "./scope.ts";

export type { BpfFilter, TcDirection } from "./codec/tc.ts";

/** addClsact adds the clsact qdisc to a link; already present is fine (idempotent). */
export function addClsact(link: LinkRef, options: NetlinkOptions = {}): void {
  withRtnl(options, (s) => {
    try {
      s.request(`add clsact qdisc to link ${quote(link)}`, {
        type: Rtm.NEWQDISC,
        flags: NlmFlags.CREATE | NlmFlags.EXCL,
        payload: encodeClsact(linkIndex(link, s)),
      });
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === Errno.EEXIST)) throw err;
    }
  });
}

/** deleteClsact removes the clsact qdisc and with it every filter on both hooks. */
export function deleteClsact(link: LinkRef, options: NetlinkOptions = {}): void {
  withRtnl(options, (s) => {
    s.request(`delete clsact qdisc from link ${quote(link)}`, {
      type: Rtm.DELQDISC,
      payload: encodeClsact(linkIndex(link, s)),
    });
  });
}

/** hasClsact tells whether a link has the clsact qdisc. */
export function hasClsact(link: LinkRef, options: NetlinkOptions = {}): boolean {
  return withRtnl(options, (s) => {
    const index = linkIndex(link, s);
    return s
      .request("list qdiscs", { type: Rtm.GETQDISC, flags: NlmFlags.DUMP, payload: encodeQdiscDump() })
      .filter((m) => m.type === Rtm.NEWQDISC)
      .map((m) => decodeQdisc(m.payload))
      .some((q) => q.index === index && q.kind === "clsact" && q.parent === TcHandle.CLSACT);
  });
}

/** BpfFilterOptions describes a cls_bpf filter on one clsact hook. */
export interface BpfFilterOptions {
  readonly direction: TcDirection;
  /** SCHED_CLS program fd; the kernel takes its own reference. */
  readonly fd: number;
  /** Shown by `tc filter show`; "sluice" by default. */
  readonly name?: string;
  /** 1 by default. */
  readonly priority?: number;
  /** 1 by default. */
  readonly handle?: number;
  /** true by default: the program's return code is the verdict. */
  readonly directAction?: boolean;
}

/** attachBpfFilter adds a filter; one already at that priority/handle throws EEXIST. Needs clsact. */
export function attachBpfFilter(link: LinkRef, filter: BpfFilterOptions, options: NetlinkOptions = {}): void {
  modifyFilter("attach", link, filter, NlmFlags.CREATE | NlmFlags.EXCL, options);
}

/**
 * replaceBpfFilter swaps the program of the filter at the same priority/handle in one step (no
 * packet sees the hook empty), or adds the filter if there is none.
 */
export function replaceBpfFilter(
  link: LinkRef,
  filter: BpfFilterOptions,
  options: NetlinkOptions = {},
): void {
  modifyFilter("replace", link, filter, NlmFlags.CREATE | NlmFlags.REPLACE, options);
}

function modifyFilter(
  verb: string,
  link: LinkRef,
  f: BpfFilterOptions,
  flags: number,
  options: NetlinkOptions,
): void {
  withRtnl(options, (s) => {
    const payload = encodeBpfFilter({
      index: linkIndex(link, s),
      direction: f.direction,
      priority: f.priority ?? 1,
      handle: f.handle ?? 1,
      fd: f.fd,
      name: f.name ?? "sluice",
      ...(f.directAction !== undefined ? { directAction: f.directAction } : {}),
    });
    s.request(`${verb} bpf filter on link ${quote(link)} ${f.direction}`, {
      type: Rtm.NEWTFILTER,
      flags,
      payload,
    });
  });
}

/** FilterRef names a filter: its hook, priority and handle (1/1 by default). */
export interface FilterRef {
  readonly direction: TcDirection;
  readonly priority?: number;
  readonly handle?: number;
}

/** deleteBpfFilter removes one filter; a missing one throws ENOENT. */
export function deleteBpfFilter(link: LinkRef, filter: FilterRef, options: NetlinkOptions = {}): void {
  withRtnl(options, (s) => {
    const payload = encodeBpfFilter({
      index: linkIndex(link, s),
      direction: filter.direction,
      priority: filter.priority ?? 1,
      handle: filter.handle ?? 1,
    });
    s.request(`delete bpf filter from link ${quote(link)} ${filter.direction}`, {
      type: Rtm.DELTFILTER,
      payload,
    });
  });
}

/** listBpfFilters returns the cls_bpf filters on one hook with their program id, tag and name. */
export function listBpfFilters(
  link: LinkRef,
  direction: TcDirection,
  options: NetlinkOptions = {},
): BpfFilter[] {
  return withRtnl(options, (s) =>
    s
      .request(`list bpf filters on link ${quote(link)} ${direction}`, {
        type: Rtm.GETTFILTER,
        flags: NlmFlags.DUMP,
        payload: encodeFilterDump(linkIndex(link, s), direction),
      })
      .filter((m) => m.type === Rtm.NEWTFILTER)
      .map((m) => decodeBpfFilter(m.payload))
      .filter((f): f is BpfFilter => f !== undefined),
  );
}

function quote(ref: LinkRef): string {
  return typeof ref === "number" ? `${ref}` : `"${ref}"`;
}
