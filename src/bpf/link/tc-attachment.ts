/**
 * TcAttachment is what a tc hook attachment can do, whether it is a tcx link (kernel >= 6.6) or
 * the legacy clsact + cls_bpf filter: swap the program in place, detach, and release.
 */
import type { Program } from "../program.ts";

/** TcDirection picks the ingress or egress hook of an interface. */
export type TcDirection = "ingress" | "egress";

export interface TcAttachment {
  /** update replaces the attached program without a gap in coverage. */
  update(program: Program): void;
  /** detach removes the program from the hook. */
  detach(): void;
  /** close releases process resources; whether the attachment survives depends on pins (tcx) or persists (cls_bpf). */
  close(): void;
}
