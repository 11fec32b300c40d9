/**
 * attachTc attaches a tc program the best way the kernel allows: a tcx link (>= 6.6, pinnable,
 * coexists with other programs) or, when tcx is not supported, a clsact + cls_bpf filter. Both
 * come back as a TcAttachment, so callers replace and detach the same way.
 */
import { NotSupportedError } from "../../errors/not-supported-error.ts";
import type { Program } from "../program.ts";
import { attachClsBpf, type ClsBpfFilter } from "./cls-bpf.ts";
import type { Link } from "./link.ts";
import type { TcDirection } from "./tc-attachment.ts";
import { attachTcx } from "./tcx.ts";

/** TcAttached says which mechanism was used; only a tcx link can be pinned. */
export type TcAttached =
  { readonly kind: "tcx"; readonly link: Link } | { readonly kind: "cls_bpf"; readonly filter: ClsBpfFilter };

/** attachTc tries tcx first and falls back to cls_bpf only on NotSupportedError. */
export function attachTc(program: Program, ifindex: number, direction: TcDirection): TcAttached {
  try {
    return { kind: "tcx", link: attachTcx(program, ifindex, direction) };
  } catch (e) {
    if (!(e instanceof NotSupportedError)) throw e;
    return { kind: "cls_bpf", filter: attachClsBpf(program, ifindex, direction) };
  }
}
