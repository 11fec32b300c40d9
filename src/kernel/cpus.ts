/**
 * possibleCpus counts the CPUs the kernel sizes per-CPU map values for: every CPU in
 * /sys/devices/system/cpu/possible (not just online ones — a hot-pluggable CPU still has a slot).
 */
import { readFileSync } from "node:fs";

let cached: number | undefined;

/** possibleCpus parses "0-3,5" style ranges once and caches the count. */
export function possibleCpus(): number {
  cached ??= parseCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
  return cached;
}

/** parseCpuList counts CPUs in a kernel cpu list such as "0-3,8-11" or "0". */
export function parseCpuList(text: string): number {
  let n = 0;
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const [lo, hi] = part.split("-").map(Number);
    if (lo === undefined || Number.isNaN(lo)) throw new Error(`parse cpu list: bad range "${part}"`);
    n += (hi ?? lo) - lo + 1;
  }
  return n;
}
