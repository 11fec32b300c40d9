/**
 * Telling whether a pid is still the process the lab started. Pids are reused; the kernel's
 * per-process start time (field 22 of /proc/<pid>/stat) is not, so the pair names one process.
 */
import { readFileSync } from "node:fs";

/** processStartTime returns field 22 of /proc/<pid>/stat, or undefined when the process is gone. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (comm) may contain spaces and parentheses; the fields after the last ")" are fixed.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field 22 is rest[19]. A zombie has exited already.
  if (rest[0] === "Z") return undefined;
  return rest[19];
}

/** isSameProcess tells whether `pid` is alive and still has the recorded start time. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}
