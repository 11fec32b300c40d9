/**
 * nft scripts that replace or remove the fallback proxy's table as one transaction. `nft -f`
 * applies a whole file atomically, so "add; delete; define" swaps the old table for the new one
 * with no moment where a packet sees neither — and works whether or not the table existed
 * (nft 1.0.6, Debian 12, has no `destroy`). Pure.
 *
 * Handing Services to eBPF mode must not break the connections the fallback already NATed: the
 * kernel keeps their NAT bindings in its conntrack table, and the eBPF datapath hands their
 * packets (mid-flow, not in its own conntrack) to the stack, but the kernel translates them only
 * while a nat base chain keeps the netns's NAT hooks registered and some `ct` or `nat`
 * expression keeps its conntrack hooks on (the kernel enables conntrack per netns on demand) —
 * deleting our table drops both, and every such connection stalls. So the hand-over swaps our
 * table for `table ip sluice-nat-hooks` in the same transaction: nat base chains on the four
 * NAT hooks, with no rule that NATs, and one `ct state` rule that holds conntrack. New flows
 * are NATed by the datapath itself, so nothing matches there; the old flows stay translated
 * until they end. The fallback's own table replaces them when the node falls back again.
 */
import { NFT_PROXY_TABLE } from "./nft-proxy-ruleset.ts";

const TABLE = `${NFT_PROXY_TABLE.family} ${NFT_PROXY_TABLE.name}`;

/** replaceTableScript turns a `table ip sluice-proxy { ... }` definition into a script that installs it in place of any older one. */
export function replaceTableScript(ruleset: string): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n${ruleset}`;
}

/** NFT_NAT_HOOKS_TABLE keeps the kernel's NAT hooks registered while eBPF mode serves Services. */
export const NFT_NAT_HOOKS_TABLE = { family: "ip", name: "sluice-nat-hooks" } as const;

const HOOKS = `${NFT_NAT_HOOKS_TABLE.family} ${NFT_NAT_HOOKS_TABLE.name}`;

/** dropNatHooksScript removes the NAT-hooks table, present or not (append it to a transaction). */
export function dropNatHooksScript(): string {
  return `add table ${HOOKS}\ndelete table ${HOOKS}\n`;
}

/**
 * handOverToBpfScript swaps our table for the NAT-hooks table in one transaction: no rule NATs a
 * new flow any more, and the flows the fallback NATed keep being translated by the kernel.
 */
export function handOverToBpfScript(): string {
  return (
    `${dropNatHooksScript()}table ${HOOKS} {\n` +
    "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n" +
    // The rule is never what matters (a nat chain sees only a flow's first packet): its ct
    // expression holds the netns's conntrack hooks, without which no packet finds its binding.
    '\t\tct state established,related accept comment "keeps conntrack on for flows NATed before eBPF mode"\n\t}\n' +
    "\tchain input {\n\t\ttype nat hook input priority 100; policy accept;\n\t}\n" +
    "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t}\n" +
    "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t}\n" +
    `}\n${deleteTableScript()}`
  );
}

/** deleteTableScript removes the fallback proxy's table, present or not. */
export function deleteTableScript(): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n`;
}
