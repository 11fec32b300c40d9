/**
 * attachTcx attaches a tc program to an interface's ingress or egress through a tcx link
 * (BPF_LINK_CREATE, kernel >= 6.6). Attachment is by ifindex in the calling thread's network
 * namespace. Several programs may share a hook; `before`/`after` place this one relative to
 * another program or link. EINVAL from an older kernel becomes NotSupportedError("tcx links", "6.6").
 */
import { LinkFlag, linkCreate } from "../../kernel/bpf-link.ts";
import { AttachType } from "../program-type.ts";
import type { Program } from "../program.ts";
import { Link } from "./link.ts";
import type { TcDirection } from "./tc-attachment.ts";

/** TcxAttachOptions orders the program among others on the same hook (default: appended last). */
export interface TcxAttachOptions {
  readonly before?: Program | Link;
  readonly after?: Program | Link;
}

/** TCX_FEATURE names the tcx link feature for NotSupportedError. */
export const TCX_FEATURE = { name: "tcx links", minKernel: "6.6" } as const;

/** attachTcx returns the new Link; pin it to keep the attachment past this process. */
export function attachTcx(
  program: Program,
  ifindex: number,
  direction: TcDirection,
  options: TcxAttachOptions = {},
): Link {
  if (options.before !== undefined && options.after !== undefined) {
    throw new Error(`attach tcx to ifindex "${ifindex}": give either before or after, not both`);
  }
  const anchor = options.before ?? options.after;
  let flags = 0;
  if (options.before !== undefined) flags |= LinkFlag.Before;
  if (options.after !== undefined) flags |= LinkFlag.After;
  if (anchor instanceof Link) flags |= LinkFlag.Link;
  const fd = linkCreate(
    {
      progFd: program.fd,
      ifindex,
      attachType: direction === "ingress" ? AttachType.TcxIngress : AttachType.TcxEgress,
      flags,
      ...(anchor === undefined ? {} : { relative: anchor.fd }),
    },
    `attach tcx ${direction} program "${program.name}" to ifindex ${ifindex}`,
    { feature: TCX_FEATURE },
  );
  return new Link(fd);
}
