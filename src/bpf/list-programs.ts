/**
 * programIdsNamed lists the ids of the programs loaded in the kernel (by anyone) of one type whose
 * name starts with `prefix`, walking the kernel's program id table. A program that goes away
 * while it is walked is skipped.
 */
import { getFdById, getNextId, progInfo } from "../kernel/bpf-obj.ts";
import type { ProgramType } from "./program-type.ts";

export function programIdsNamed(prefix: string, type: ProgramType): Set<number> {
  const ids = new Set<number>();
  for (let id = getNextId("prog", 0); id !== undefined; id = getNextId("prog", id)) {
    const fd = getFdById("prog", id);
    if (fd === undefined) continue;
    try {
      const info = progInfo(fd.value, false);
      if (info.type === type && info.name.startsWith(prefix)) ids.add(id);
    } finally {
      fd.close();
    }
  }
  return ids;
}
