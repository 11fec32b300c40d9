/**
 * The fallback proxy's ruleset in a real kernel: `nft -f` takes the generated table for every
 * Service feature, `nft list table ip sluice-proxy` round-trips, a second apply replaces it in
 * one transaction, removal leaves other tables alone, and the hand-over to eBPF mode leaves
 * empty nat base chains (table ip sluice-nat-hooks) that the fallback's table replaces again. Runs in throwaway namespaces
 * (sl-t-fb-*). Needs root and the `nft` binary.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nftProxyRuleset } from "../../src/fallback/nft-proxy-ruleset.ts";
import {
  deleteTableScript,
  dropNatHooksScript,
  handOverToBpfScript,
  replaceTableScript,
} from "../../src/fallback/nft-table-scripts.ts";
import { allFeatures, fixtureState } from "../support/nft-proxy-fixtures.ts";
import { requireRoot } from "../support/root.ts";
import { inNetns, withFallbackNetns } from "./fallback-netns.ts";

const list = (ns: string): Promise<string> => inNetns(ns, ["nft", "list", "table", "ip", "sluice-proxy"]);
const nft = (ns: string, script: string): Promise<string> => inNetns(ns, ["nft", "-f", "-"], script);

describe("nft proxy ruleset in the kernel", requireRoot, () => {
  test("nft -f accepts the ruleset for every feature and `nft list table ip sluice-proxy` round-trips", async () => {
    await withFallbackNetns(async (ns) => {
      await nft(ns, replaceTableScript(nftProxyRuleset(allFeatures())));
      const listed = await list(ns);
      for (const want of [
        "numgen random mod 2 vmap { 0 : goto ep-5-0, 1 : goto ep-5-1 }",
        "dnat to 198.18.1.5:8080",
        "update @affinity-1-0 { ip saddr }",
        "fib saddr type local goto svc-3",
        "ip saddr { 192.0.2.128/25, 203.0.113.0/24 } return",
        "198.19.0.14 . tcp . 80 : goto reject-chain",
        "masquerade fully-random",
      ]) {
        assert.ok(listed.includes(want), `listing lacks "${want}":\n${listed}`);
      }
      // What nft prints, fed back, defines the same table: nothing is lost in the text.
      await nft(ns, replaceTableScript(listed));
      assert.equal(await list(ns), listed);
    });
  });

  test("a second apply replaces the table in one transaction; removal leaves other tables and works when ours is absent", async () => {
    await withFallbackNetns(async (ns) => {
      await nft(
        ns,
        "table inet someone-else {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 22 accept\n\t}\n}\n",
      );
      await nft(ns, replaceTableScript(nftProxyRuleset(allFeatures())));
      await nft(ns, replaceTableScript(nftProxyRuleset(fixtureState([]))));
      const listed = await list(ns);
      assert.ok(!listed.includes("chain svc-"), `old chains are gone:\n${listed}`);
      assert.ok(!listed.includes("set affinity-"), "old sets are gone");
      await nft(ns, deleteTableScript());
      await nft(ns, deleteTableScript());
      const tables = await inNetns(ns, ["nft", "list", "tables"]);
      assert.equal(tables.trim(), "table inet someone-else");
    });
  });

  test("the hand-over to eBPF mode swaps our table for empty nat chains on all four NAT hooks, and back", async () => {
    await withFallbackNetns(async (ns) => {
      await nft(ns, replaceTableScript(nftProxyRuleset(allFeatures())) + dropNatHooksScript());
      await nft(ns, handOverToBpfScript());
      await nft(ns, handOverToBpfScript()); // again, as after an agent restart: still one table
      assert.equal((await inNetns(ns, ["nft", "list", "tables"])).trim(), "table ip sluice-nat-hooks");
      const hooks = await inNetns(ns, ["nft", "list", "table", "ip", "sluice-nat-hooks"]);
      for (const hook of ["prerouting", "input", "output", "postrouting"])
        assert.match(hooks, new RegExp(`type nat hook ${hook} priority`), hooks);
      assert.doesNotMatch(hooks, /dnat|snat|masquerade|jump|goto/, "no rule NATs: nothing new is NATed");
      assert.match(hooks, /ct state established,related accept/, "a ct expression keeps conntrack on");
      await nft(ns, replaceTableScript(nftProxyRuleset(allFeatures())) + dropNatHooksScript());
      assert.equal((await inNetns(ns, ["nft", "list", "tables"])).trim(), "table ip sluice-proxy");
    });
  });
});
