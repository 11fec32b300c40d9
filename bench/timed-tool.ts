/**
 * runTimedTool runs a netfilter tool (`iptables-restore`, `nft`) inside a named namespace with
 * `input` on stdin and returns the wall time from spawn to exit. The process start is part of
 * the time on purpose: kube-proxy pays it on every sync too. Bounded by a timeout.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { NETNS_RUN_DIR } from "../src/kernel/netns.ts";

/** runTimedTool resolves with milliseconds; rejects with the tool's stderr when it fails. */
export function runTimedTool(
  netns: string,
  argv: readonly string[],
  input: string,
  timeoutMs = 300_000,
): Promise<number> {
  const what = `run ${argv.join(" ")} in netns "${netns}"`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // nsenter --net only: the tool needs the namespace's netfilter, not a new mount namespace.
    const child = spawn("nsenter", [`--net=${NETNS_RUN_DIR}/${netns}`, "--", ...argv], {
      stdio: ["pipe", "ignore", "pipe"],
      timeout: timeoutMs,
    });
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`${what}: ${e.message}`, { cause: e })));
    child.on("close", (code, signal) => {
      const ms = performance.now() - t0;
      if (code === 0) return resolve(ms);
      const detail =
        Buffer.concat(err).toString("utf8").trim().slice(0, 2000) ||
        (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(`${what}: ${detail}`));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}
