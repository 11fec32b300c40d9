/**
 * bpfKubeProxyIptablesCleanupEnabled: false keeps kube-proxy's rules. A throwaway namespace
 * (sl-t-fb-*) gets kube-proxy's iptables chains and its real nftables tables
 * (testdata/kube-proxy-nftables.nft) plus our own `ip sluice-proxy` table; the ProxyHandover the
 * agent uses, wired to that namespace, enters eBPF mode with clean-up off (and passes its
 * re-check interval): only our table may go. Turning the flag on then removes kube-proxy's
 * rules, which proves the setup would have shown a wrong removal. Needs root, iptables, nft.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { Logger } from "pino";
import { FallbackProxy } from "../../src/fallback/fallback-proxy.ts";
import { cleanUpKubeProxy } from "../../src/fallback/kube-proxy-cleanup.ts";
import { ProxyHandover } from "../../src/fallback/proxy-handover.ts";
import { requireRoot } from "../support/root.ts";
import { inNetns, netnsTools, withFallbackNetns } from "./fallback-netns.ts";

const IPTABLES_RULES = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SVC-NPX46M4PTMTKRN6Y -j KUBE-SEP-IT2ZTR26TO4XFPTO
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m tcp -j DNAT --to-destination 172.18.0.2:6443
COMMIT
*filter
:KUBE-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT
COMMIT
`;

const KUBE_PROXY_NFT = readFileSync(new URL("./testdata/kube-proxy-nftables.nft", import.meta.url), "utf8");
const SLUICE_PROXY_NFT = "table ip sluice-proxy {\n\tchain services {\n\t}\n}\n";

function quietLog(): Logger {
  const noop = () => {};
  return { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
}

/** kubeProxyState is what must survive: iptables-save without counters/comments-of-time, and the kube-proxy tables. */
async function kubeProxyState(ns: string): Promise<{ iptables: string; nft: string }> {
  const iptables = (await inNetns(ns, ["iptables-save"]))
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]/, ""))
    .join("\n");
  const v4 = await inNetns(ns, ["nft", "list", "table", "ip", "kube-proxy"]);
  const v6 = await inNetns(ns, ["nft", "list", "table", "ip6", "kube-proxy"]);
  return { iptables, nft: v4 + v6 };
}

describe("bpfKubeProxyIptablesCleanupEnabled: false", requireRoot, () => {
  test("entering eBPF mode with clean-up off removes only our sluice-proxy table; kube-proxy's iptables chains and real nftables tables stay, also after the re-check interval; turning it on removes them", async () => {
    await withFallbackNetns(async (ns) => {
      await inNetns(ns, ["iptables-restore", "--noflush"], IPTABLES_RULES);
      await inNetns(ns, ["nft", "-f", "-"], KUBE_PROXY_NFT + SLUICE_PROXY_NFT);
      const before = await kubeProxyState(ns);
      assert.ok(before.iptables.includes("KUBE-SVC-NPX46M4PTMTKRN6Y"), before.iptables);
      assert.ok(before.nft.includes("chain service-ULMVA6XW-ns1/svc1/tcp/p80"), before.nft);

      const clock = { t: 1_000_000 };
      let active = "";
      const handover = new ProxyHandover({
        log: quietLog(),
        metrics: { setActiveDataplane: (d) => (active = d) },
        fallback: new FallbackProxy(async (script) => {
          await inNetns(ns, ["nft", "-f", "-"], script);
        }),
        cleanUp: () => cleanUpKubeProxy(netnsTools(ns)),
        recheckMs: 60_000,
        now: () => clock.t,
      });

      await handover.bpf(false);
      assert.equal(active, "bpf");
      clock.t += 61_000;
      await handover.bpf(false);
      const tables = await inNetns(ns, ["nft", "list", "tables"]);
      assert.ok(!tables.includes("sluice-proxy"), `our fallback table must go in eBPF mode:\n${tables}`);
      assert.deepEqual(await kubeProxyState(ns), before, "kube-proxy's rules changed with clean-up off");

      clock.t += 10;
      await handover.bpf(true);
      const saved = await inNetns(ns, ["iptables-save"]);
      assert.ok(!/KUBE-(SERVICES|SVC-|SEP-|FORWARD)/.test(saved), `clean-up on left rules:\n${saved}`);
      const after = await inNetns(ns, ["nft", "list", "tables"]);
      assert.ok(!after.includes("kube-proxy"), after);
    });
  });
});
