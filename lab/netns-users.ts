/**
 * netnsUsers finds the processes whose network namespace is a named one, by comparing
 * /proc/<pid>/ns/net with the namespace's inode. A namespace outlives `delete` while a process
 * is inside it, so teardown reports such processes instead of pretending it is gone.
 */
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { NETNS_RUN_DIR } from "../src/kernel/netns.ts";

/** netnsUsers returns the pids inside `/run/netns/<name>` (empty when it does not exist). Bounded by the number of processes. */
export function netnsUsers(name: string): number[] {
  let inode: number;
  try {
    inode = statSync(`${NETNS_RUN_DIR}/${name}`).ino;
  } catch {
    return [];
  }
  const want = `net:[${inode}]`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(Number(entry));
    } catch {
      // Gone, or a kernel thread without a readable link.
    }
  }
  return pids;
}
