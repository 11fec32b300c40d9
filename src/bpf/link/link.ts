/**
 * Link is a live BPF link (it owns the fd): the attachment of a program to a hook. Pinned in
 * bpffs it outlives the agent, so traffic keeps its programs across restarts; update() swaps the
 * program atomically, with no instant where packets see no program. Needs CAP_BPF + CAP_NET_ADMIN.
 */
import { linkDetach, linkUpdate } from "../../kernel/bpf-link.ts";
import { linkInfo, objGet, type LinkInfo } from "../../kernel/bpf-obj.ts";
import type { Fd } from "../../kernel/fd.ts";
import { PinnableObject } from "../pinnable-object.ts";
import type { Program } from "../program.ts";
import type { TcAttachment } from "./tc-attachment.ts";

/** LinkUpdateOptions makes an update conditional on the program currently attached. */
export interface LinkUpdateOptions {
  /** Refuse (EPERM) unless this is the program attached now: guards against two writers racing. */
  readonly expected?: Program;
}

export class Link extends PinnableObject implements TcAttachment {
  constructor(fd: Fd, pinPath?: string) {
    super(fd, pinPath);
  }

  /** Link.openPinned opens the link pinned at `path` (e.g. left by a previous agent). */
  static openPinned(path: string): Link {
    return new Link(objGet(path), path);
  }

  /** update atomically replaces the attached program (BPF_LINK_UPDATE, with BPF_F_REPLACE when `expected` is given). */
  update(program: Program, options: LinkUpdateOptions = {}): void {
    linkUpdate(this.fd, program.fd, options.expected?.fd);
  }

  /** detach removes the program from the hook now, even if the link is pinned or held elsewhere. */
  detach(): void {
    linkDetach(this.fd);
  }

  /** info reads link id, type, program id and (tcx/xdp) ifindex and attach type. */
  info(): LinkInfo {
    return linkInfo(this.fd);
  }
}
