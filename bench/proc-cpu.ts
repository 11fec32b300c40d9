/**
 * CPU time from /proc, for benches that report what a process (or the machine) spent: utime +
 * stime of a process (all its threads) or of one thread, and the machine's busy and total time
 * from /proc/stat — to tell "the agent needed more CPU" from "the agent waited for a CPU".
 */
import { readFileSync } from "node:fs";

/** Linux's USER_HZ: /proc counts CPU time in 1/100 s. */
const CLK_TCK = 100;

/** utime + stime of a /proc/…/stat line, in seconds. */
function statCpuSeconds(path: string): number {
  const fields = readFileSync(path, "utf8")
    .replace(/^.*\) /, "")
    .split(" ");
  // After "(comm) ": state is field 3, utime 14 and stime 15 (1-based) → indices 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** cpuSeconds is a process's user + system CPU time so far (all its threads). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** threadCpuSeconds is one thread's user + system CPU time so far (the main thread: tid = pid). */
export function threadCpuSeconds(pid: number, tid: number = pid): number {
  return statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
}

/** MachineCpu: every CPU's time so far, busy and in all, in seconds (/proc/stat's "cpu" line). */
export interface MachineCpu {
  readonly busy: number;
  readonly total: number;
}

/** machineCpu reads /proc/stat: idle and iowait are not busy, everything else (steal too) is. */
export function machineCpu(): MachineCpu {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user).
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  const idle = t[3]! + t[4]!;
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}
