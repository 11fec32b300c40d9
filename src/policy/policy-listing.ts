/**
 * policyListing renders a compiled policy as text: each chunk's slot and name, then its
 * disassembly with labels, helper names and map names — the golden listings and the future
 * `sluice dump policy --asm`.
 */
import { disassemble } from "../bpf/asm/disassemble.ts";
import type { CompiledPolicy } from "./compile-policy.ts";

/** policyListing returns the listing of every chunk, one line per instruction. */
export function policyListing(compiled: CompiledPolicy): string {
  const out: string[] = [];
  for (const c of compiled.chunks) {
    out.push(
      `; chunk ${c.spec.name} in ${c.spec.section === "xdp" ? "sl_pol_jump_xdp" : "sl_pol_jump"} slot ${c.slot}: ${c.spec.instructions.length / 8} instructions`,
    );
    out.push(
      ...disassemble(c.spec.instructions, { mapRelocations: c.spec.mapRelocations, labels: c.labels }),
    );
  }
  return `${out.join("\n")}\n`;
}
