/**
 * nft scripts that replace or remove the fallback proxy's table as one transaction. `nft -f`
 * applies a whole file atomically, so "add; delete; define" swaps the old table for the new one
 * with no moment where a packet sees neither — and works whether or not the table existed
 * (nft 1.0.6, Debian 12, has no `destroy`). Pure.
 */
import { NFT_PROXY_TABLE } from "./nft-proxy-ruleset.ts";

const TABLE = `${NFT_PROXY_TABLE.family} ${NFT_PROXY_TABLE.name}`;

/** replaceTableScript turns a `table ip sluice-proxy { ... }` definition into a script that installs it in place of any older one. */
export function replaceTableScript(ruleset: string): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n${ruleset}`;
}

/** deleteTableScript removes the fallback proxy's table, present or not. */
export function deleteTableScript(): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n`;
}
