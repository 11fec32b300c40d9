/**
 * Helpers for the fallback proxy's root tests: throwaway namespaces named "sl-t-fb-<pid>-<n>"
 * (deleted in finally), and a netfilter tool runner that runs the tool inside one of them through
 * `nsenter --net`, so nothing touches the host's rules.
 */
import { spawn } from "node:child_process";
import type { RunTool } from "../../src/fallback/kube-proxy-cleanup.ts";
import { createNetns, deleteNetns, netnsExists, netnsPath } from "../../src/kernel/netns.ts";

let counter = 0;

/** withFallbackNetns runs fn in a fresh namespace's name and deletes the namespace afterwards. */
export async function withFallbackNetns<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const name = `sl-t-fb-${process.pid}-${++counter}`;
  createNetns(name);
  try {
    return await fn(name);
  } finally {
    if (netnsExists(name)) deleteNetns(name);
  }
}

/** inNetns runs `argv` inside namespace `name` with `input` on stdin; rejects with stderr on failure. */
export function inNetns(name: string, argv: readonly string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", [`--net=${netnsPath(name)}`, ...argv], {
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 10_000,
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`run ${argv.join(" ")} in ${name}: ${err.trim() || `exit code ${code}`}`)),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** netnsTools is a RunTool for cleanUpKubeProxy that works inside namespace `name`. */
export function netnsTools(name: string): RunTool {
  return (tool, args, options) => inNetns(name, [tool, ...args], options?.input ?? "");
}
