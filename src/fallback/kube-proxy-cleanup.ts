/**
 * cleanUpKubeProxy removes kube-proxy's rules once the eBPF dataplane serves Services
 * (FelixConfiguration bpfKubeProxyIptablesCleanupEnabled, default true): its iptables chains and
 * the jumps into them, for IPv4 and IPv6 (one `iptables-restore --noflush` commit per table),
 * and its nftables tables. What to delete is decided by pure code from the dumps
 * (src/fallback/select-kube-proxy-cleanup.ts); this module only runs the tools. With kube-proxy
 * still running this flaps, as Calico's docs warn: the setting must then be false.
 */
import { selectKubeProxyCleanup, selectKubeProxyNftTables } from "./select-kube-proxy-cleanup.ts";
import { runNetfilterTool } from "../netfilter/run-netfilter-tool.ts";
import type { NetfilterTool, NetfilterToolOptions } from "../netfilter/run-netfilter-tool.ts";

/** RunTool runs a netfilter tool (tests and the agent use runNetfilterTool). */
export type RunTool = (
  tool: NetfilterTool,
  args: readonly string[],
  options?: NetfilterToolOptions,
) => Promise<string>;

/** KubeProxyCleanupResult lists what was removed. */
export interface KubeProxyCleanupResult {
  /** "iptables:nat/KUBE-SERVICES", "ip6tables:filter/KUBE-FORWARD", ... */
  readonly chains: readonly string[];
  readonly jumps: number;
  /** "ip kube-proxy", "ip6 kube-proxy". */
  readonly nftTables: readonly string[];
}

const FAMILIES = [
  { name: "iptables", save: "iptables-save", restore: "iptables-restore" },
  { name: "ip6tables", save: "ip6tables-save", restore: "ip6tables-restore" },
] as const;

/** cleanUpKubeProxy removes kube-proxy's iptables chains and nftables tables from the current network namespace. */
export async function cleanUpKubeProxy(run: RunTool = runNetfilterTool): Promise<KubeProxyCleanupResult> {
  const chains: string[] = [];
  let jumps = 0;
  for (const f of FAMILIES) {
    let dump: string;
    try {
      dump = await run(f.save, []);
    } catch (e) {
      // No IPv6 netfilter (ipv6.disable=1) or no ip6tables: nothing of kube-proxy's can be there.
      if (f.name === "ip6tables") continue;
      throw new Error(`clean up kube-proxy rules: ${(e as Error).message}`, { cause: e });
    }
    const plan = selectKubeProxyCleanup(dump);
    if (plan.script === undefined) continue;
    await run(f.restore, ["--noflush"], { input: plan.script });
    chains.push(...plan.chains.map((c) => `${f.name}:${c}`));
    jumps += plan.jumps;
  }
  const tables = selectKubeProxyNftTables(await run("nft", ["list", "tables"]));
  if (tables.script !== undefined) await run("nft", ["-f", "-"], { input: tables.script });
  return { chains, jumps, nftTables: tables.tables };
}
