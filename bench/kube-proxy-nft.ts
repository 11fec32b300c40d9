/**
 * kube-proxy's nftables-mode layout for ClusterIP Services, as `nft -f` input: one table, a
 * `service-ips` verdict map keyed by daddr . l4proto . dport that jumps straight to a per-Service
 * chain (no linear scan, unlike iptables), which picks an endpoint with `numgen random mod n vmap`
 * and jumps to a per-endpoint chain that DNATs. A NodePort is an element of `service-nodeports`
 * (l4proto . dport, consulted for packets to a local address) that goes to an `external-*`
 * chain: mark for masquerade, then the Service chain. A baseline for benchmarks, not product code; the
 * filter-side chains (firewall, reject) are left out since they do not touch the Service path.
 * Pure.
 */
import { chainHash } from "./chain-hash.ts";
import type { KubeProxyLayoutOptions } from "./kube-proxy-iptables.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/** KUBE_PROXY_NFT_TABLE is the table kube-proxy's nftables mode owns (`ip kube-proxy`). */
export const KUBE_PROXY_NFT_TABLE = "kube-proxy";

const slug = (s: SyntheticService): string => `${s.namespace}-${s.name}-tcp-p${s.port}`;

/** serviceChain is `service-<hash>-<ns>-<name>-tcp-p<port>`, as kube-proxy names them (with "-" for "/"). */
export function serviceChain(s: SyntheticService): string {
  return `service-${chainHash(`${s.namespace}/${s.name}:http/tcp`).slice(0, 8)}-${slug(s)}`;
}

/** externalChain is `external-<hash>-<ns>-<name>-tcp-p<port>`, a NodePort's entry chain. */
export function externalChain(s: SyntheticService): string {
  return `external-${chainHash(`${s.namespace}/${s.name}:http/tcp`).slice(0, 8)}-${slug(s)}`;
}

/** endpointChain is `endpoint-<hash>-<ns>-<name>-tcp-p<port>__<addr>/<port>` with nft-safe characters. */
export function endpointChain(s: SyntheticService, ep: string): string {
  return `endpoint-${chainHash(`${s.namespace}/${s.name}:http/tcp__${ep}/${s.targetPort}`).slice(0, 8)}-${slug(s)}__${ep.replace(/\./g, "-")}-${s.targetPort}`;
}

function serviceChainBody(s: SyntheticService, o: KubeProxyLayoutOptions): string[] {
  const vmap = s.endpoints.map((ep, i) => `${i} : goto ${endpointChain(s, ep)}`).join(", ");
  return [
    `ip daddr ${s.clusterIP} tcp dport ${s.port} ip saddr != ${o.clusterCidr} jump mark-for-masquerade`,
    s.endpoints.length > 0 ? `numgen random mod ${s.endpoints.length} vmap { ${vmap} }` : "reject",
  ];
}

function endpointChainBody(s: SyntheticService, ep: string): string[] {
  return [`ip saddr ${ep} jump mark-for-masquerade`, `meta l4proto tcp dnat to ${ep}:${s.targetPort}`];
}

const chainBlock = (name: string, body: readonly string[], head?: string): string =>
  [
    `\tchain ${name} {`,
    ...(head !== undefined ? [`\t\t${head}`] : []),
    ...body.map((r) => `\t\t${r}`),
    "\t}",
  ].join("\n");

/** renderKubeProxyNft returns an atomic full load: create-if-missing, delete, then define the whole table. */
export function renderKubeProxyNft(services: readonly SyntheticService[], o: KubeProxyLayoutOptions): string {
  const t = KUBE_PROXY_NFT_TABLE;
  const blocks: string[] = [];
  const elements = services.map((s) => `${s.clusterIP} . tcp . ${s.port} : goto ${serviceChain(s)}`);
  blocks.push(
    `\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n${elements.length > 0 ? `\t\telements = { ${elements.join(",\n\t\t\t")} }\n` : ""}\t}`,
  );
  const nodePorts = services.flatMap((s) =>
    s.nodePort === undefined ? [] : [`tcp . ${s.nodePort} : goto ${externalChain(s)}`],
  );
  blocks.push(
    `\tmap service-nodeports {\n\t\ttype inet_proto . inet_service : verdict\n${nodePorts.length > 0 ? `\t\telements = { ${nodePorts.join(",\n\t\t\t")} }\n` : ""}\t}`,
  );
  blocks.push(
    chainBlock(
      "nat-prerouting",
      ["jump services"],
      "type nat hook prerouting priority dstnat; policy accept;",
    ),
  );
  blocks.push(
    chainBlock("nat-output", ["jump services"], "type nat hook output priority -100; policy accept;"),
  );
  blocks.push(
    chainBlock(
      "nat-postrouting",
      ["jump masquerading"],
      "type nat hook postrouting priority srcnat; policy accept;",
    ),
  );
  blocks.push(chainBlock("mark-for-masquerade", ["meta mark set meta mark | 0x4000"]));
  blocks.push(
    chainBlock("masquerading", [
      "meta mark & 0x4000 == 0 return",
      "meta mark set meta mark ^ 0x4000",
      "masquerade fully-random",
    ]),
  );
  blocks.push(
    chainBlock("services", [
      "ip daddr . meta l4proto . th dport vmap @service-ips",
      "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
    ]),
  );
  for (const s of services) {
    if (s.nodePort !== undefined)
      blocks.push(chainBlock(externalChain(s), ["jump mark-for-masquerade", `goto ${serviceChain(s)}`]));
    blocks.push(chainBlock(serviceChain(s), serviceChainBody(s, o)));
    for (const ep of s.endpoints) blocks.push(chainBlock(endpointChain(s, ep), endpointChainBody(s, ep)));
  }
  return [`add table ip ${t}`, `delete table ip ${t}`, `table ip ${t} {`, blocks.join("\n"), "}", ""].join(
    "\n",
  );
}

/**
 * renderKubeProxyNftChange is the incremental transaction kube-proxy's nftables mode sends when
 * one endpoint of `after` replaced one of `before`: add the new endpoint chain, rewrite the
 * Service chain, delete the old endpoint chain. Both must be the same Service.
 */
export function renderKubeProxyNftChange(
  before: SyntheticService,
  after: SyntheticService,
  o: KubeProxyLayoutOptions,
): string {
  const t = KUBE_PROXY_NFT_TABLE;
  const added = after.endpoints.filter((e) => !before.endpoints.includes(e));
  const removed = before.endpoints.filter((e) => !after.endpoints.includes(e));
  const lines: string[] = [];
  for (const ep of added) {
    const c = endpointChain(after, ep);
    lines.push(
      `add chain ip ${t} ${c}`,
      ...endpointChainBody(after, ep).map((r) => `add rule ip ${t} ${c} ${r}`),
    );
  }
  const svc = serviceChain(after);
  lines.push(
    `flush chain ip ${t} ${svc}`,
    ...serviceChainBody(after, o).map((r) => `add rule ip ${t} ${svc} ${r}`),
  );
  for (const ep of removed) lines.push(`delete chain ip ${t} ${endpointChain(before, ep)}`);
  return `${lines.join("\n")}\n`;
}
