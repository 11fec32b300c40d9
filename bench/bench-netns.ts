/**
 * withBenchNetns runs `fn` with a throwaway network namespace named sl-t-bench-<pid>-<n>
 * (IPv4 forwarding on, as on a node) and deletes it afterwards, also when fn throws. Nothing in
 * it is linked to the machine's network, so a benchmark's rules and routes touch nothing else.
 * Needs root.
 */
import { execFileSync } from "node:child_process";
import { createNetns, deleteNetns, netnsExists } from "../src/kernel/netns.ts";

let serial = 0;

/** BENCH_NETNS_PREFIX starts every namespace a benchmark makes. */
export const BENCH_NETNS_PREFIX = "sl-t-bench-";

/** withBenchNetns creates the namespace, runs fn with its name, then removes it. */
export async function withBenchNetns<T>(fn: (name: string) => Promise<T> | T): Promise<T> {
  const name = `${BENCH_NETNS_PREFIX}${process.pid}-${++serial}`;
  createNetns(name);
  try {
    // `ip netns exec` gives sysctl a /proc/sys of the target namespace.
    execFileSync("ip", ["netns", "exec", name, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], {
      stdio: "pipe",
    });
    execFileSync("ip", ["-n", name, "link", "set", "lo", "up"], { stdio: "pipe" });
    return await fn(name);
  } finally {
    if (netnsExists(name)) deleteNetns(name);
  }
}
