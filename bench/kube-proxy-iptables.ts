/**
 * renderKubeProxyIptables writes the `iptables-restore` input that kube-proxy's iptables mode
 * would load for a set of ClusterIP Services: nat-table jumps PREROUTING/OUTPUT → KUBE-SERVICES,
 * one KUBE-SERVICES rule per Service port → KUBE-SVC-<hash> choosing an endpoint with
 * `-m statistic --mode random --probability 1/(n-i)` → KUBE-SEP-<hash> doing the DNAT, plus the
 * masquerade-mark chains; a Service with a NodePort also gets kube-proxy's KUBE-NODEPORTS rule →
 * KUBE-EXT-<hash> (mark for masquerade, then the Service's KUBE-SVC chain), reached from the
 * last KUBE-SERVICES rule for packets to a local address — after every ClusterIP rule, as in
 * kube-proxy. A baseline for benchmarks, not product code; the filter table
 * (KUBE-FORWARD, firewall chains) is left out since it does not touch the Service path. Pure.
 *
 * Like kube-proxy without MinimizeIPTablesRestore, every load replaces the whole nat table.
 */
import { chainHash } from "./chain-hash.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/** KubeProxyLayoutOptions: the cluster CIDR (traffic from outside it is marked for masquerade). */
export interface KubeProxyLayoutOptions {
  readonly clusterCidr: string;
}

const portName = (s: SyntheticService): string => `${s.namespace}/${s.name}:http`;

/** svcChain is KUBE-SVC-<hash> for a Service port, as kube-proxy hashes "ns/name:port" + protocol. */
export function svcChain(s: SyntheticService): string {
  return `KUBE-SVC-${chainHash(`${portName(s)}tcp`)}`;
}

/** extChain is KUBE-EXT-<hash>, the external-traffic chain kube-proxy gives a NodePort (same hash as KUBE-SVC). */
export function extChain(s: SyntheticService): string {
  return `KUBE-EXT-${chainHash(`${portName(s)}tcp`)}`;
}

/** sepChain is KUBE-SEP-<hash> for one endpoint of a Service port. */
export function sepChain(s: SyntheticService, endpoint: string): string {
  return `KUBE-SEP-${chainHash(`${portName(s)}tcp${endpoint}:${s.targetPort}`)}`;
}

/** probability prints 1/k with kube-proxy's 11 decimals. */
function probability(k: number): string {
  return (1 / k).toFixed(11);
}

/** renderKubeProxyIptables returns the whole `*nat ... COMMIT` text for `services`, in their order in KUBE-SERVICES. */
export function renderKubeProxyIptables(
  services: readonly SyntheticService[],
  o: KubeProxyLayoutOptions,
): string {
  const chains: string[] = [
    ":PREROUTING ACCEPT [0:0]",
    ":INPUT ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
  ];
  chains.push(
    ":KUBE-SERVICES - [0:0]",
    ":KUBE-NODEPORTS - [0:0]",
    ":KUBE-POSTROUTING - [0:0]",
    ":KUBE-MARK-MASQ - [0:0]",
  );
  const rules: string[] = [
    `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
    `-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
    `-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING`,
    "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
    "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
    "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
  ];
  for (const s of services) {
    const svc = svcChain(s);
    const name = portName(s);
    chains.push(`:${svc} - [0:0]`);
    rules.push(
      `-A KUBE-SERVICES -d ${s.clusterIP}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport ${s.port} -j ${svc}`,
    );
    rules.push(
      `-A ${svc} ! -s ${o.clusterCidr} -d ${s.clusterIP}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport ${s.port} -j KUBE-MARK-MASQ`,
    );
    if (s.nodePort !== undefined) {
      const ext = extChain(s);
      chains.push(`:${ext} - [0:0]`);
      rules.push(
        `-A KUBE-NODEPORTS -p tcp -m comment --comment "${name}" -m tcp --dport ${s.nodePort} -j ${ext}`,
        `-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`,
        `-A ${ext} -j ${svc}`,
      );
    }
    const n = s.endpoints.length;
    s.endpoints.forEach((ep, i) => {
      const sep = sepChain(s, ep);
      chains.push(`:${sep} - [0:0]`);
      const pick = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : "";
      rules.push(`-A ${svc} -m comment --comment "${name} -> ${ep}:${s.targetPort}"${pick} -j ${sep}`);
      rules.push(`-A ${sep} -s ${ep}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      rules.push(
        `-A ${sep} -p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${ep}:${s.targetPort}`,
      );
    });
  }
  // kube-proxy keeps the NodePort jump last: it must not shadow a ClusterIP rule.
  rules.push(
    `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  );
  return ["*nat", ...chains, ...rules, "COMMIT", ""].join("\n");
}
