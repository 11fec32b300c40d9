/**
 * runNetfilterTool runs `nft`, `iptables-save` or `iptables-restore` in the caller's network
 * namespace (the agent runs inside the node's), feeding `input` on stdin. This is the one place
 * Sluice shells out, on purpose: the nftables netlink protocol (expressions, sets, maps,
 * transactions) is large and versioned, while `nft -f -` and `iptables-restore` are the tools'
 * well-kept, atomic interfaces. Needs CAP_NET_ADMIN; Debian packages `nftables` and `iptables`.
 */
import { spawn } from "node:child_process";

/** NetfilterTool is a binary this module may run. */
export type NetfilterTool =
  "nft" | "iptables-save" | "iptables-restore" | "ip6tables-save" | "ip6tables-restore";

/** NetfilterToolOptions: stdin text and a time limit (default 10 s). */
export interface NetfilterToolOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** runNetfilterTool resolves with stdout; it rejects with the tool's stderr when it fails or cannot start. */
export function runNetfilterTool(
  tool: NetfilterTool,
  args: readonly string[],
  options: NetfilterToolOptions = {},
): Promise<string> {
  const what = `run ${tool} ${args.join(" ")}`.trim();
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 10_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`${what}: ${e.message}`, { cause: e })));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      const detail =
        Buffer.concat(err).toString("utf8").trim() ||
        (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(`${what}: ${detail}`));
    });
    // A tool that exits before reading stdin must not crash the agent with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
