import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { allFeatures, FIXTURE_NODE, fixtureState } from "../../test/support/nft-proxy-fixtures.ts";
import { service, slice } from "../../test/support/service-fixtures.ts";
import { nftProxyRuleset } from "./nft-proxy-ruleset.ts";
import { deleteTableScript, replaceTableScript } from "./nft-table-scripts.ts";

const GOLDEN = new URL("./testdata/all-features.nft", import.meta.url);
const NODE = FIXTURE_NODE.name;

/** block returns the `chain|map|set name { ... }` block of a ruleset, exactly as written. */
function block(text: string, kind: string, name: string): string | undefined {
  const lines = text.split("\n");
  const start = lines.indexOf(`\t${kind} ${name} {`);
  if (start < 0) return undefined;
  const end = lines.indexOf("\t}", start);
  return lines
    .slice(start + 1, end)
    .map((l) => l.trim())
    .join("\n");
}

/** web is Service default/web (198.19.0.10, http 80→8080) with `spec` over it; `nodePort` goes on the port. */
function web(spec: Record<string, unknown> = {}, status?: unknown) {
  const { nodePort, ...rest } = spec;
  const port = { name: "http", port: 80, targetPort: 8080, ...(nodePort !== undefined ? { nodePort } : {}) };
  return service(
    "web",
    { clusterIP: "198.19.0.10", ports: [port], ...rest },
    status === undefined ? {} : { status },
  );
}
const twoPods = slice(
  "web",
  [
    { addr: "198.18.1.5", node: NODE },
    { addr: "198.18.2.5", node: "node-b" },
  ],
  { ports: [{ name: "http", port: 8080 }] },
);

describe("nftProxyRuleset", () => {
  test("nftProxyRuleset() matches the golden listing for every Service feature (UPDATE_GOLDEN=1 rewrites it)", () => {
    const text = nftProxyRuleset(allFeatures());
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, "utf8"));
  });

  test("nftProxyRuleset() gives the same text for the same state, so an unchanged cluster is not re-applied", () => {
    assert.equal(nftProxyRuleset(allFeatures()), nftProxyRuleset(allFeatures()));
  });

  test("a ClusterIP maps address . proto . port to a service chain choosing an endpoint with numgen, each endpoint DNATs and masquerades hairpin", () => {
    const text = nftProxyRuleset(fixtureState([web()], [twoPods]));
    assert.equal(
      block(text, "map", "service-ips"),
      "type ipv4_addr . inet_proto . inet_service : verdict\nelements = { 198.19.0.10 . tcp . 80 : goto svc-1 }",
    );
    assert.equal(
      block(text, "chain", "svc-1"),
      'comment "default/web:http/TCP"\nnumgen random mod 2 vmap { 0 : goto ep-1-0, 1 : goto ep-1-1 }',
    );
    assert.equal(
      block(text, "chain", "ep-1-1"),
      "ip saddr 198.18.2.5 jump mark-for-masquerade\nmeta l4proto tcp dnat to 198.18.2.5:8080",
    );
    assert.equal(block(text, "chain", "mark-for-masquerade"), "meta mark set meta mark | 0x00004000");
    assert.equal(
      block(text, "chain", "masquerading"),
      "meta mark & 0x00004000 == 0x00000000 return\nmeta mark set meta mark ^ 0x00004000\nmasquerade fully-random",
    );
    assert.equal(
      block(text, "map", "service-nodeports"),
      "type inet_proto . inet_service : verdict",
      "no NodePort, an empty map",
    );
  });

  test("a NodePort answers on the node address and on every local address, masquerading like kube-proxy's externalTrafficPolicy Cluster", () => {
    const text = nftProxyRuleset(fixtureState([web({ type: "NodePort", nodePort: 30080 })], [twoPods]));
    assert.match(block(text, "map", "service-ips") ?? "", /198\.18\.0\.1 \. tcp \. 30080 : goto ext-1/);
    assert.equal(
      block(text, "map", "service-nodeports"),
      "type inet_proto . inet_service : verdict\nelements = { tcp . 30080 : goto ext-1 }",
    );
    assert.equal(block(text, "chain", "ext-1"), "jump mark-for-masquerade\ngoto svc-1");
    assert.equal(
      block(text, "chain", "services"),
      "ip daddr . meta l4proto . th dport vmap @service-ips\nfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
    );
  });

  test("externalIPs and LoadBalancer IPs are service-ips entries leading to the external chain", () => {
    const text = nftProxyRuleset(
      fixtureState(
        [
          web(
            { type: "LoadBalancer", nodePort: 30080, externalIPs: ["192.0.2.60"] },
            { loadBalancer: { ingress: [{ ip: "192.0.2.50" }] } },
          ),
        ],
        [twoPods],
      ),
    );
    const ips = block(text, "map", "service-ips") ?? "";
    assert.match(ips, /192\.0\.2\.50 \. tcp \. 80 : goto ext-1/);
    assert.match(ips, /192\.0\.2\.60 \. tcp \. 80 : goto ext-1/);
    assert.match(ips, /198\.19\.0\.10 \. tcp \. 80 : goto svc-1/);
  });

  test("externalTrafficPolicy Local uses only the node's endpoints without masquerade; the node's own traffic may use all, masqueraded", () => {
    const text = nftProxyRuleset(
      fixtureState([web({ type: "NodePort", nodePort: 30080, externalTrafficPolicy: "Local" })], [twoPods]),
    );
    assert.equal(
      block(text, "chain", "ext-1-local"),
      "fib saddr type local jump mark-for-masquerade\nfib saddr type local goto svc-1\ngoto svc-1-local",
    );
    assert.equal(
      block(text, "chain", "svc-1-local"),
      'comment "default/web:http/TCP"\nnumgen random mod 1 vmap { 0 : goto ep-1-0 }',
    );
    assert.equal(
      block(text, "chain", "ep-1-0"),
      "ip saddr 198.18.1.5 jump mark-for-masquerade\nmeta l4proto tcp dnat to 198.18.1.5:8080",
      "endpoint 0 is the local one",
    );
  });

  test("externalTrafficPolicy Local without a local endpoint drops external traffic (kube-proxy), the ClusterIP still works", () => {
    const remoteOnly = slice("web", [{ addr: "198.18.2.5", node: "node-b" }], {
      ports: [{ name: "http", port: 8080 }],
    });
    const text = nftProxyRuleset(
      fixtureState(
        [web({ type: "NodePort", nodePort: 30080, externalTrafficPolicy: "Local" })],
        [remoteOnly],
      ),
    );
    assert.equal(
      block(text, "map", "no-endpoint-nodeports"),
      "type inet_proto . inet_service : verdict\nelements = { tcp . 30080 : drop }",
    );
    assert.equal(
      block(text, "map", "service-ips"),
      "type ipv4_addr . inet_proto . inet_service : verdict\nelements = { 198.19.0.10 . tcp . 80 : goto svc-1 }",
    );
  });

  test("ClientIP affinity keeps a timeout set per endpoint, checked before numgen and refreshed on every new connection", () => {
    const text = nftProxyRuleset(
      fixtureState(
        [web({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } })],
        [twoPods],
      ),
    );
    assert.equal(block(text, "set", "affinity-1-0"), "type ipv4_addr\nflags dynamic,timeout\ntimeout 600s");
    assert.equal(
      block(text, "chain", "svc-1"),
      'comment "default/web:http/TCP"\nip saddr @affinity-1-0 goto ep-1-0\nip saddr @affinity-1-1 goto ep-1-1\nnumgen random mod 2 vmap { 0 : goto ep-1-0, 1 : goto ep-1-1 }',
    );
    assert.equal(
      block(text, "chain", "ep-1-0"),
      "ip saddr 198.18.1.5 jump mark-for-masquerade\nupdate @affinity-1-0 { ip saddr }\nmeta l4proto tcp dnat to 198.18.1.5:8080",
    );
  });

  test("a Service without endpoints is rejected (TCP reset, else ICMP port unreachable) in the filter hooks, not DNATed", () => {
    const text = nftProxyRuleset(fixtureState([web({ type: "NodePort", nodePort: 30080 })]));
    assert.equal(
      block(text, "map", "no-endpoint-services"),
      "type ipv4_addr . inet_proto . inet_service : verdict\nelements = { 198.18.0.1 . tcp . 30080 : goto reject-chain,\n198.19.0.10 . tcp . 80 : goto reject-chain }",
    );
    assert.equal(
      block(text, "map", "no-endpoint-nodeports"),
      "type inet_proto . inet_service : verdict\nelements = { tcp . 30080 : goto reject-chain }",
    );
    assert.equal(block(text, "chain", "reject-chain"), "meta l4proto tcp reject with tcp reset\nreject");
    assert.equal(
      block(text, "chain", "filter-input"),
      "type filter hook input priority filter - 10; policy accept;\nct state new jump nodeport-endpoints-check\nct state new jump service-endpoints-check",
    );
    assert.equal(block(text, "map", "service-ips"), "type ipv4_addr . inet_proto . inet_service : verdict");
  });

  test("loadBalancerSourceRanges admit the listed CIDRs to the LB IP and drop other sources before DNAT; the ClusterIP stays open", () => {
    const lb = web(
      { type: "LoadBalancer", nodePort: 30080, loadBalancerSourceRanges: ["203.0.113.0/24"] },
      { loadBalancer: { ingress: [{ ip: "192.0.2.50" }] } },
    );
    const text = nftProxyRuleset(fixtureState([lb], [twoPods]));
    assert.equal(
      block(text, "map", "firewall-ips"),
      "type ipv4_addr . inet_proto . inet_service : verdict\nelements = { 192.0.2.50 . tcp . 80 : goto firewall-1 }",
    );
    assert.equal(block(text, "chain", "firewall-1"), "ip saddr { 203.0.113.0/24 } return\ndrop");
    assert.equal(
      block(text, "chain", "filter-prerouting"),
      "type filter hook prerouting priority dstnat - 10; policy accept;\nct state new jump firewall-check",
    );
  });

  test("UDP and SCTP ports DNAT with their own protocol", () => {
    const svc = service("dns", {
      clusterIP: "198.19.0.20",
      ports: [
        { name: "dns", port: 53, targetPort: 5353, protocol: "UDP" },
        { name: "s", port: 9, targetPort: 9, protocol: "SCTP" },
      ],
    });
    const sl = slice("dns", [{ addr: "198.18.1.9", node: NODE }], {
      ports: [
        { name: "dns", port: 5353, protocol: "UDP" },
        { name: "s", port: 9, protocol: "SCTP" },
      ],
    });
    const text = nftProxyRuleset(fixtureState([svc], [sl]));
    assert.match(text, /meta l4proto udp dnat to 198\.18\.1\.9:5353/);
    assert.match(text, /meta l4proto sctp dnat to 198\.18\.1\.9:9/);
    assert.match(block(text, "map", "service-ips") ?? "", /198\.19\.0\.20 \. sctp \. 9 : goto svc-\d/);
  });

  test("the apply script swaps the whole table in one transaction, and removal works whether or not the table exists", () => {
    assert.equal(
      replaceTableScript("table ip sluice-proxy {\n}\n"),
      "add table ip sluice-proxy\ndelete table ip sluice-proxy\ntable ip sluice-proxy {\n}\n",
    );
    assert.equal(deleteTableScript(), "add table ip sluice-proxy\ndelete table ip sluice-proxy\n");
  });
});
