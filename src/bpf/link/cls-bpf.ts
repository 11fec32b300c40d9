/**
 * attachClsBpf is the tc attach path for kernels without tcx (< 6.6): a clsact qdisc plus a
 * direct-action cls_bpf filter, over rtnetlink (src/netlink/tc.ts). It presents the same
 * TcAttachment interface as a tcx Link: update() replaces the filter at the same priority/handle
 * in one netlink request, so no packet meets an empty hook.
 *
 * Unlike a link, a filter is not tied to an fd: it stays until detach() or the device goes away.
 * The rtnetlink socket is opened at attach time in the calling thread's namespace and kept, so
 * update()/detach() reach the same namespace from anywhere. Needs CAP_NET_ADMIN.
 */
import type { NetlinkSocket } from "../../netlink/netlink-socket.ts";
import { Errno } from "../../kernel/errno.ts";
import { SyscallError } from "../../errors/syscall-error.ts";
import { openRtnl } from "../../netlink/scope.ts";
import {
  addClsact,
  attachBpfFilter,
  deleteBpfFilter,
  listBpfFilters,
  replaceBpfFilter,
  type BpfFilter,
} from "../../netlink/tc.ts";
import type { Program } from "../program.ts";
import type { TcAttachment, TcDirection } from "./tc-attachment.ts";

/** ClsBpfOptions places the filter; Sluice uses one filter per hook at priority 1, handle 1 by default. */
export interface ClsBpfOptions {
  readonly priority?: number;
  readonly handle?: number;
  /** Shown by `tc filter show` (default: the program name). */
  readonly name?: string;
  /** Replace a filter already at this priority/handle instead of failing with EEXIST. */
  readonly replace?: boolean;
}

/** ClsBpfFilter is one cls_bpf filter owned by Sluice on one hook of one interface. */
export class ClsBpfFilter implements TcAttachment {
  readonly #socket: NetlinkSocket;
  readonly #name: string;

  constructor(
    socket: NetlinkSocket,
    readonly ifindex: number,
    readonly direction: TcDirection,
    readonly priority: number,
    readonly handle: number,
    name: string,
  ) {
    this.#socket = socket;
    this.#name = name;
  }

  /** update swaps the filter's program in place (RTM_NEWTFILTER with NLM_F_REPLACE). */
  update(program: Program): void {
    replaceBpfFilter(this.ifindex, this.#filter(program.fd), { socket: this.#socket });
  }

  /** detach deletes the filter; already gone (device deleted, someone else removed it) is fine. */
  detach(): void {
    try {
      deleteBpfFilter(
        this.ifindex,
        { direction: this.direction, priority: this.priority, handle: this.handle },
        { socket: this.#socket },
      );
    } catch (e) {
      if (e instanceof SyscallError && (e.errno === Errno.ENOENT || e.errno === Errno.ENODEV)) return;
      throw e;
    }
  }

  /** info returns the filter as the kernel lists it (program id, tag), or undefined if it is gone. */
  info(): BpfFilter | undefined {
    return listBpfFilters(this.ifindex, this.direction, { socket: this.#socket }).find(
      (f) => f.priority === this.priority && f.handle === this.handle,
    );
  }

  /** close releases the netlink socket; the filter itself stays attached. */
  close(): void {
    this.#socket.close();
  }

  #filter(fd: number) {
    return {
      direction: this.direction,
      fd,
      name: this.#name,
      priority: this.priority,
      handle: this.handle,
      directAction: true,
    };
  }
}

/** attachClsBpf ensures clsact on `ifindex` (in the calling thread's namespace) and adds the filter. */
export function attachClsBpf(
  program: Program,
  ifindex: number,
  direction: TcDirection,
  options: ClsBpfOptions = {},
): ClsBpfFilter {
  const socket = openRtnl();
  try {
    const filter = new ClsBpfFilter(
      socket,
      ifindex,
      direction,
      options.priority ?? 1,
      options.handle ?? 1,
      options.name ?? program.name,
    );
    addClsact(ifindex, { socket });
    if (options.replace) filter.update(program);
    else
      attachBpfFilter(
        ifindex,
        {
          direction,
          fd: program.fd,
          name: options.name ?? program.name,
          priority: filter.priority,
          handle: filter.handle,
        },
        { socket },
      );
    return filter;
  } catch (e) {
    socket.close();
    throw e;
  }
}
