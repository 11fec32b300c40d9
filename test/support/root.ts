/**
 * Guards for suites that need root (BPF, namespaces). Root-only test files are named
 * `*.root.test.ts`; each test passes `requireRoot` as its options, so a non-root run reports
 * every skipped test with the reason instead of silently passing.
 */
import { accessSync, constants } from "node:fs";

export const isRoot = process.getuid?.() === 0;

/** Reason a root-only test is skipped, or false when it can run. */
export const rootSkipReason: string | false = isRoot
  ? false
  : "requires root (BPF syscalls, network namespaces)";

/** requireRoot is a node:test options object: `test("...", requireRoot, async () => ...)`. */
export const requireRoot = { skip: rootSkipReason };

/** hasCommand tells whether a helper binary (iperf3, ping) exists, for tests that need one. */
export function hasCommand(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
