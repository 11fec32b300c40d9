/**
 * kube-proxy clean-up against real rules: a throwaway namespace (sl-t-fb-*) gets kube-proxy-like
 * iptables chains (nat and filter, with the jumps from the built-in chains), kubelet's
 * KUBE-FIREWALL, a rule of someone else's and kube-proxy's nftables tables; cleanUpKubeProxy
 * must remove exactly kube-proxy's. Needs root, iptables (nft backend) and nft.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { cleanUpKubeProxy } from "../../src/fallback/kube-proxy-cleanup.ts";
import { requireRoot } from "../support/root.ts";
import { inNetns, netnsTools, withFallbackNetns } from "./fallback-netns.ts";

const RULES = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
:KUBE-EXT-ABCDEF - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-NPX46M4PTMTKRN6Y -j KUBE-SEP-IT2ZTR26TO4XFPTO
-A KUBE-SEP-IT2ZTR26TO4XFPTO -s 172.18.0.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m tcp -j DNAT --to-destination 172.18.0.2:6443
-A KUBE-EXT-ABCDEF -j KUBE-MARK-MASQ
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -s 10.0.0.0/8 -j ACCEPT
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP
-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT
COMMIT
`;

/** kube-proxy's real nftables layout (testdata/kube-proxy-nftables.nft) and a table of someone else's hooked at the same points. */
const KUBE_PROXY_NFT = readFileSync(new URL("./testdata/kube-proxy-nftables.nft", import.meta.url), "utf8");
const OTHER_NFT =
  "table inet other {\n\tchain prerouting {\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\tip daddr 192.0.2.7 counter\n\t}\n}\n";

describe("kube-proxy clean-up in a namespace", requireRoot, () => {
  test("kube-proxy's nftables mode, as it really lays it out (hooked base chains, sets, verdict maps, per-Service chains): both tables go whole, another table on the same hooks stays", async () => {
    await withFallbackNetns(async (ns) => {
      await inNetns(ns, ["nft", "-f", "-"], KUBE_PROXY_NFT + OTHER_NFT);
      const before = await inNetns(ns, ["nft", "list", "ruleset"]);
      assert.ok(
        before.includes("chain service-ULMVA6XW-ns1/svc1/tcp/p80") &&
          before.includes("type nat hook output priority"),
        before,
      );
      const r = await cleanUpKubeProxy(netnsTools(ns));
      assert.deepEqual(r.nftTables, ["ip kube-proxy", "ip6 kube-proxy"]);
      const after = await inNetns(ns, ["nft", "list", "ruleset"]);
      assert.ok(
        !after.includes("kube-proxy") &&
          !after.includes("service-ips") &&
          !after.includes("mark-for-masquerade"),
        after,
      );
      assert.ok(after.includes("table inet other") && after.includes("ip daddr 192.0.2.7 counter"), after);
      assert.deepEqual((await cleanUpKubeProxy(netnsTools(ns))).nftTables, [], "a second run finds nothing");
    });
  });

  test("cleanUpKubeProxy() removes kube-proxy's chains, jumps and nftables tables; kubelet's chain and other rules survive", async () => {
    await withFallbackNetns(async (ns) => {
      await inNetns(ns, ["iptables-restore", "--noflush"], RULES);
      await inNetns(
        ns,
        ["nft", "-f", "-"],
        "table ip kube-proxy {\n\tchain services {\n\t}\n}\ntable ip6 kube-proxy {\n}\ntable inet keep-me {\n}\n",
      );
      const r = await cleanUpKubeProxy(netnsTools(ns));
      assert.equal(r.jumps, 5);
      assert.ok(r.chains.includes("iptables:nat/KUBE-SVC-NPX46M4PTMTKRN6Y"), r.chains.join(","));
      assert.deepEqual(r.nftTables, ["ip kube-proxy", "ip6 kube-proxy"]);
      const saved = await inNetns(ns, ["iptables-save"]);
      assert.ok(
        !/KUBE-(SERVICES|NODEPORTS|POSTROUTING|MARK-MASQ|SVC-|SEP-|EXT-|FORWARD)/.test(saved),
        `kube-proxy rules left:\n${saved}`,
      );
      for (const keep of [
        "-A INPUT -j KUBE-FIREWALL",
        "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP",
        "-A FORWARD -s 10.0.0.0/8 -j ACCEPT",
        "-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE",
      ]) {
        assert.ok(saved.includes(keep), `"${keep}" was removed:\n${saved}`);
      }
      const tables = await inNetns(ns, ["nft", "list", "tables"]);
      assert.ok(!tables.includes("kube-proxy") && tables.includes("table inet keep-me"), tables);
      const again = await cleanUpKubeProxy(netnsTools(ns));
      assert.deepEqual(again, { chains: [], jumps: 0, nftTables: [] }, "a second run finds nothing");
    });
  });
});
