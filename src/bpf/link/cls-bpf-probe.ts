/**
 * probeClsBpf tries the legacy tc path on loopback of the current (probe) namespace: clsact,
 * a direct-action cls_bpf filter, then removal. Used by src/bpf/features.ts.
 */
import { deleteClsact } from "../../netlink/tc.ts";
import type { Program } from "../program.ts";
import { attachClsBpf } from "./cls-bpf.ts";

/** probeClsBpf reports whether a cls_bpf filter could be attached and removed. */
export function probeClsBpf(program: Program): { readonly supported: boolean; readonly detail: string } {
  try {
    const f = attachClsBpf(program, 1, "ingress");
    try {
      const seen = f.info();
      f.detach();
      if (seen === undefined) return { supported: false, detail: "cls_bpf filter was added but not listed" };
    } finally {
      f.close();
      deleteClsact(1);
    }
    return { supported: true, detail: "attached and removed a clsact + cls_bpf filter on loopback" };
  } catch (e) {
    return { supported: false, detail: `clsact + cls_bpf failed: ${(e as Error).message}` };
  }
}
