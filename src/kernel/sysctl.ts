/**
 * Kernel parameters under /proc/sys. The /proc/sys/net subtree is per network namespace and
 * resolves against the namespace of the thread that opens the file; Node's synchronous fs calls
 * run on the main thread, so inside withNetns() they read and write that namespace's values
 * (checked by sysctl.root.test.ts). The async fs API would not: it runs on pool threads.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { errnoError } from "./errno.ts";
import { withNetns } from "./netns.ts";

/** SysctlKey is "net.ipv4.ip_forward", or segments when one contains a dot (["net", "ipv4", "conf", "eth0.100", "rp_filter"]). */
export type SysctlKey = string | readonly string[];

/** SysctlOptions selects a named network namespace; the current one by default. */
export interface SysctlOptions {
  readonly netns?: string;
}

/** sysctlPath maps a key to its file under /proc/sys, refusing segments that could escape it. */
export function sysctlPath(key: SysctlKey): string {
  const parts = typeof key === "string" ? key.split(".") : key;
  for (const p of parts) {
    if (p === "" || p === "." || p === ".." || p.includes("/")) {
      throw new RangeError(`use sysctl "${display(key)}": invalid key segment "${p}"`);
    }
  }
  return `/proc/sys/${parts.join("/")}`;
}

/** readSysctl returns a value with the trailing newline removed. */
export function readSysctl(key: SysctlKey, options: SysctlOptions = {}): string {
  const path = sysctlPath(key);
  return inNetns(options, () => {
    try {
      return readFileSync(path, "utf8").replace(/\n$/, "");
    } catch (err) {
      throw fsError(`read sysctl "${display(key)}"`, err);
    }
  });
}

/** writeSysctl sets a value (numbers are written in decimal). */
export function writeSysctl(key: SysctlKey, value: string | number, options: SysctlOptions = {}): void {
  const path = sysctlPath(key);
  inNetns(options, () => {
    try {
      writeFileSync(path, `${value}\n`);
    } catch (err) {
      throw fsError(`write sysctl "${display(key)}" = "${value}"`, err);
    }
  });
}

function inNetns<T>(options: SysctlOptions, fn: () => T): T {
  return options.netns === undefined ? fn() : withNetns(options.netns, fn);
}

function display(key: SysctlKey): string {
  return typeof key === "string" ? key : key.join(".");
}

function fsError(op: string, err: unknown): Error {
  const errno = (err as NodeJS.ErrnoException).errno;
  return typeof errno === "number" ? errnoError(op, -errno) : (err as Error);
}
