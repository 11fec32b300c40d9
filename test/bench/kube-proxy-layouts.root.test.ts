/**
 * The lab bench's kube-proxy baselines with a NodePort: the iptables and nftables layouts load
 * into a throwaway namespace (iptables-restore, nft -f) and hold the NodePort path kube-proxy
 * builds — KUBE-NODEPORTS → KUBE-EXT-* → KUBE-SVC-*, and the `service-nodeports` verdict map →
 * `external-*` chain. Needs root (netns, netfilter); skips with that reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { withBenchNetns } from "../../bench/bench-netns.ts";
import { extChain, renderKubeProxyIptables, svcChain } from "../../bench/kube-proxy-iptables.ts";
import { externalChain, renderKubeProxyNft, serviceChain } from "../../bench/kube-proxy-nft.ts";
import type { SyntheticService } from "../../bench/synthetic-services.ts";
import { syntheticServices } from "../../bench/synthetic-services.ts";
import { runTimedTool } from "../../bench/timed-tool.ts";

const root = process.getuid?.() === 0;
const layout = { clusterCidr: "198.18.64.0/18" } as const;
const withNodePort: SyntheticService = {
  ...syntheticServices({ count: 1, endpointsPerService: 2 })[0]!,
  nodePort: 30080,
};
const plain = syntheticServices({
  count: 2,
  endpointsPerService: 2,
  namePrefix: "plain",
  clusterIpBase: "198.18.129.0",
});

const inNetns = (ns: string, argv: string[]): string =>
  execFileSync("ip", ["netns", "exec", ns, ...argv], { encoding: "utf8", stdio: "pipe" });

describe(
  "kube-proxy layouts with a NodePort",
  { skip: root ? false : "needs root (netns, netfilter)" },
  () => {
    test("iptables: the NodePort jumps to KUBE-EXT, which masquerades and goes to the Service chain", async () => {
      await withBenchNetns(async (ns) => {
        await runTimedTool(
          ns,
          ["iptables-restore"],
          renderKubeProxyIptables([...plain, withNodePort], layout),
        );
        const rules = inNetns(ns, ["iptables-save", "-t", "nat"]);
        const ext = extChain(withNodePort);
        assert.match(rules, new RegExp(`-A KUBE-NODEPORTS -p tcp .*--dport 30080 -j ${ext}\\b`));
        assert.match(rules, new RegExp(`-A ${ext} .*-j KUBE-MARK-MASQ`));
        assert.match(rules, new RegExp(`-A ${ext} -j ${svcChain(withNodePort)}\\b`));
        // Only the Service that has a NodePort gets one.
        assert.equal(rules.match(/-A KUBE-NODEPORTS /g)?.length, 1);
      });
    });

    test("nftables: service-nodeports maps tcp . port to the external chain, which goes to the Service chain", async () => {
      await withBenchNetns(async (ns) => {
        await runTimedTool(ns, ["nft", "-f", "-"], renderKubeProxyNft([...plain, withNodePort], layout));
        const map = inNetns(ns, ["nft", "list", "map", "ip", "kube-proxy", "service-nodeports"]);
        assert.match(map, new RegExp(`tcp \\. 30080 : goto ${externalChain(withNodePort)}`));
        const chain = inNetns(ns, ["nft", "list", "chain", "ip", "kube-proxy", externalChain(withNodePort)]);
        assert.match(chain, /jump mark-for-masquerade/);
        assert.match(chain, new RegExp(`goto ${serviceChain(withNodePort)}`));
        const services = inNetns(ns, ["nft", "list", "chain", "ip", "kube-proxy", "services"]);
        assert.match(services, /fib daddr type local .*vmap @service-nodeports/);
      });
    });

    test("without NodePorts both layouts still load (an empty service-nodeports map)", async () => {
      await withBenchNetns(async (ns) => {
        await runTimedTool(ns, ["iptables-restore"], renderKubeProxyIptables(plain, layout));
        await runTimedTool(ns, ["nft", "-f", "-"], renderKubeProxyNft(plain, layout));
        assert.doesNotMatch(inNetns(ns, ["iptables-save", "-t", "nat"]), /-A KUBE-NODEPORTS /);
      });
    });
  },
);
