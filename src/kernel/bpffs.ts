/**
 * bpffs housekeeping: make sure a BPF filesystem is mounted where pins go, and remove pins.
 * Pins are files in bpffs; removing the last pin and closing the last fd frees the object.
 */
import { existsSync, mkdirSync, rmSync, statfsSync, unlinkSync } from "node:fs";
import { errnoError } from "./errno.ts";
import { lastErrno, mount } from "./libc.ts";

const BPF_FS_MAGIC = 0xcafe4a11;

/** isBpffs tells whether `dir` lives on a BPF filesystem (statfs magic). */
export function isBpffs(dir: string): boolean {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** ensureBpffs mounts bpffs at `mountPoint` (default /sys/fs/bpf) unless one is mounted there already. */
export function ensureBpffs(mountPoint = "/sys/fs/bpf"): void {
  if (isBpffs(mountPoint)) return;
  mkdirSync(mountPoint, { recursive: true });
  if (mount("bpf", mountPoint, "bpf", 0, null) < 0) {
    throw errnoError(`mount bpffs at "${mountPoint}"`, lastErrno());
  }
}

/** makePinDir creates a directory for pins, which must be inside a mounted bpffs. */
export function makePinDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isBpffs(dir)) throw new Error(`create pin dir "${dir}": not on a bpf filesystem`);
}

/** unpin removes a pin file; a missing pin is not an error (unpinning is idempotent). */
export function unpin(path: string): void {
  try {
    unlinkSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new Error(`unpin "${path}": ${(cause as Error).message}`, { cause });
  }
}

/** removePinDir removes a pin directory and everything pinned below it. */
export function removePinDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** pinExists tells whether something is pinned at `path`. */
export function pinExists(path: string): boolean {
  return existsSync(path);
}
