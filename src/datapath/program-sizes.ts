/** programSizes lists each program of a collection spec with its instruction count (8-byte slots). */
import type { CollectionSpec } from "../bpf/collection-spec.ts";

/** ProgramSize is one program's name, ELF section and size. */
export interface ProgramSize {
  name: string;
  section: string;
  instructions: number;
}

/** programSizes reads sizes from the spec (what the loader submits, before kernel rewriting). */
export function programSizes(spec: CollectionSpec): ProgramSize[] {
  return [...spec.programs.values()].map((p) => ({
    name: p.name,
    section: p.section,
    instructions: p.instructions.byteLength / 8,
  }));
}
