/**
 * attachXdp attaches an XDP program to an interface through an XDP link (kernel >= 5.9), by
 * ifindex in the calling thread's network namespace. Only one XDP program per interface and mode.
 */
import { linkCreate } from "../../kernel/bpf-link.ts";
import { AttachType } from "../program-type.ts";
import type { Program } from "../program.ts";
import { Link } from "./link.ts";

/** XdpMode picks generic (skb, works everywhere), native driver, or hardware offload; default lets the kernel choose. */
export type XdpMode = "auto" | "generic" | "driver" | "offload";

const MODE_FLAGS: Record<XdpMode, number> = { auto: 0, generic: 1 << 1, driver: 1 << 2, offload: 1 << 3 };

/** XdpAttachOptions selects the XDP mode. */
export interface XdpAttachOptions {
  readonly mode?: XdpMode;
}

/** attachXdp returns the new Link; a driver without native XDP fails with EOPNOTSUPP in "driver" mode. */
export function attachXdp(program: Program, ifindex: number, options: XdpAttachOptions = {}): Link {
  const mode = options.mode ?? "auto";
  const fd = linkCreate(
    { progFd: program.fd, ifindex, attachType: AttachType.Xdp, flags: MODE_FLAGS[mode] },
    `attach xdp program "${program.name}" to ifindex ${ifindex} in ${mode} mode`,
    { feature: { name: `xdp links (${mode} mode)`, minKernel: "5.9" } },
  );
  return new Link(fd);
}
