/**
 * nftProxyRuleset writes the standard-dataplane Service proxy — used when eBPF mode cannot run —
 * as one `table ip sluice-proxy` in nft's own syntax, from the same NatState the eBPF datapath is
 * programmed from. The layout is kube-proxy's nftables mode: a `services` chain looks
 * `ip daddr . meta l4proto . th dport` up in the `service-ips` verdict map (NodePorts on any
 * local address in `service-nodeports`), per-service chains pick an endpoint with
 * `numgen random mod N vmap`, endpoint chains DNAT, and a mark asks `nat-postrouting` to
 * masquerade (hairpin, external traffic under externalTrafficPolicy Cluster). Filter-hook chains
 * reject connections to Services without endpoints and drop sources outside
 * loadBalancerSourceRanges. ClientIP affinity is a timeout set per endpoint.
 *
 * Only our own table is named, so kube-proxy's or anyone else's rules are never touched. Pure:
 * the same state always gives the same text, so the caller re-applies only on a change.
 */
import type { NatState } from "../calc/nat-state.ts";
import { planNftServices } from "./plan-nft-services.ts";
import type {
  NftEndpoint,
  NftExternalChain,
  NftFrontend,
  NftServiceChain,
  NftServicesPlan,
} from "./plan-nft-services.ts";

/** NFT_PROXY_TABLE is the one table the fallback proxy owns: `nft list table ip sluice-proxy`. */
export const NFT_PROXY_TABLE = { family: "ip", name: "sluice-proxy" } as const;

/**
 * MASQUERADE_MARK is the packet-mark bit that asks nat-postrouting to masquerade. kube-proxy's
 * own bit (0x4000): a node running either proxy gives the bit the same meaning, and the bit is
 * cleared again before the packet leaves.
 */
export const MASQUERADE_MARK = 0x4000;

const KEY = "ip daddr . meta l4proto . th dport";
const MARK = `0x${MASQUERADE_MARK.toString(16).padStart(8, "0")}`;

/** nftProxyRuleset returns the full `table ip sluice-proxy { ... }` definition for `state`. */
export function nftProxyRuleset(state: NatState): string {
  const plan = planNftServices(state);
  const out: string[] = [
    `table ${NFT_PROXY_TABLE.family} ${NFT_PROXY_TABLE.name} {`,
    `\tcomment "Sluice standard-dataplane Service proxy (generated; replaced whole on every change)"`,
  ];
  const withEp = plan.frontends.filter((f) => f.hasEndpoints);
  const without = plan.frontends.filter((f) => !f.hasEndpoints);
  map(
    out,
    "service-ips",
    true,
    withEp.filter((f) => f.addr !== undefined),
  );
  map(
    out,
    "service-nodeports",
    false,
    withEp.filter((f) => f.addr === undefined),
  );
  map(
    out,
    "no-endpoint-services",
    true,
    without.filter((f) => f.addr !== undefined),
  );
  map(
    out,
    "no-endpoint-nodeports",
    false,
    without.filter((f) => f.addr === undefined),
  );
  map(
    out,
    "firewall-ips",
    true,
    plan.frontends
      .filter((f) => f.firewall !== undefined && f.addr !== undefined)
      .map((f) => ({ ...f, verdict: `goto ${f.firewall}` })),
  );
  for (const eps of plan.endpoints.values()) {
    for (const ep of eps)
      if (ep.affinityTimeoutS > 0)
        out.push(
          block("set", affinitySet(ep), [
            "type ipv4_addr",
            "flags dynamic,timeout",
            `timeout ${ep.affinityTimeoutS}s`,
          ]),
        );
  }
  out.push(...baseChains());
  for (const fw of plan.firewalls) {
    out.push(
      chain(fw.name, [
        ...(fw.cidrs.length > 0 ? [`ip saddr { ${fw.cidrs.join(", ")} } return`] : []),
        "drop",
      ]),
    );
  }
  for (const sc of plan.serviceChains) out.push(serviceChain(sc, plan));
  for (const ext of plan.externalChains) out.push(externalChain(ext));
  for (const eps of plan.endpoints.values()) for (const ep of eps) out.push(endpointChain(ep));
  out.push("}", "");
  return out.join("\n");
}

/** The hooks and fixed chains; the service-specific maps they consult may be empty. */
function baseChains(): string[] {
  return [
    chain("nat-prerouting", ["type nat hook prerouting priority dstnat; policy accept;", "jump services"]),
    chain("nat-output", ["type nat hook output priority -100; policy accept;", "jump services"]),
    chain("nat-postrouting", [
      "type nat hook postrouting priority srcnat; policy accept;",
      "jump masquerading",
    ]),
    // Before DNAT, so loadBalancerSourceRanges see the LB IP the client asked for.
    chain("filter-prerouting", [
      "type filter hook prerouting priority dstnat - 10; policy accept;",
      "ct state new jump firewall-check",
    ]),
    // A Service without endpoints was not DNATed, so input/forward/output still see its address.
    chain("filter-input", [
      "type filter hook input priority filter - 10; policy accept;",
      "ct state new jump nodeport-endpoints-check",
      "ct state new jump service-endpoints-check",
    ]),
    chain("filter-forward", [
      "type filter hook forward priority filter - 10; policy accept;",
      "ct state new jump service-endpoints-check",
    ]),
    chain("filter-output", [
      "type filter hook output priority filter - 10; policy accept;",
      "ct state new jump service-endpoints-check",
      "ct state new jump firewall-check",
    ]),
    chain("firewall-check", [`${KEY} vmap @firewall-ips`]),
    chain("service-endpoints-check", [`${KEY} vmap @no-endpoint-services`]),
    chain("nodeport-endpoints-check", [
      "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports",
    ]),
    chain("reject-chain", ["meta l4proto tcp reject with tcp reset", "reject"]),
    // NodePorts answer on every local address but loopback, as kube-proxy's default.
    chain("services", [
      `${KEY} vmap @service-ips`,
      "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
    ]),
    chain("masquerading", [
      `meta mark & ${MARK} == 0x00000000 return`,
      `meta mark set meta mark ^ ${MARK}`,
      "masquerade fully-random",
    ]),
    chain("mark-for-masquerade", [`meta mark set meta mark | ${MARK}`]),
  ];
}

function serviceChain(sc: NftServiceChain, plan: NftServicesPlan): string {
  const eps = (plan.endpoints.get(sc.svcId) ?? []).slice(0, sc.endpoints);
  const lines = [`comment "${sc.servicePort}"`];
  // A client with a live affinity entry goes back to its endpoint before any new choice.
  for (const ep of eps)
    if (ep.affinityTimeoutS > 0) lines.push(`ip saddr @${affinitySet(ep)} goto ${ep.name}`);
  const choices = eps.map((ep, i) => `${i} : goto ${ep.name}`).join(", ");
  lines.push(`numgen random mod ${eps.length} vmap { ${choices} }`);
  return chain(sc.name, lines);
}

function externalChain(ext: NftExternalChain): string {
  if (!ext.local) return chain(ext.name, ["jump mark-for-masquerade", `goto ${ext.clusterChain}`]);
  // externalTrafficPolicy Local keeps the client's source; only the node's own traffic (which
  // kube-proxy lets use every endpoint) must be masqueraded to find its way back.
  return chain(ext.name, [
    "fib saddr type local jump mark-for-masquerade",
    `fib saddr type local goto ${ext.clusterChain}`,
    `goto ${ext.localChain}`,
  ]);
}

function endpointChain(ep: NftEndpoint): string {
  const lines = [`ip saddr ${ep.backend.addr} jump mark-for-masquerade`];
  if (ep.affinityTimeoutS > 0) lines.push(`update @${affinitySet(ep)} { ip saddr }`);
  lines.push(`meta l4proto ${ep.proto} dnat to ${ep.backend.addr}:${ep.backend.port}`);
  return chain(ep.name, lines);
}

function affinitySet(ep: NftEndpoint): string {
  return `affinity-${ep.name.slice(3)}`;
}

function map(
  out: string[],
  name: string,
  withAddr: boolean,
  frontends: readonly Pick<NftFrontend, "addr" | "proto" | "port" | "verdict">[],
): void {
  const type = withAddr
    ? "type ipv4_addr . inet_proto . inet_service : verdict"
    : "type inet_proto . inet_service : verdict";
  const elements = frontends.map(
    (f) => `${withAddr ? `${f.addr ?? ""} . ` : ""}${f.proto} . ${f.port} : ${f.verdict}`,
  );
  // nft refuses `elements = { }`: an empty map is declared without the line.
  out.push(
    block(
      "map",
      name,
      elements.length > 0 ? [type, `elements = { ${elements.join(",\n\t\t\t     ")} }`] : [type],
    ),
  );
}

function chain(name: string, lines: readonly string[]): string {
  return block("chain", name, lines);
}

function block(kind: string, name: string, lines: readonly string[]): string {
  return [`\t${kind} ${name} {`, ...lines.map((l) => `\t\t${l}`), "\t}"].join("\n");
}
