/**
 * Calico's dnsTrustedServers entries (FelixConfiguration): whose DNS answers DNS policy learns
 * from. An entry is an IP ("198.18.0.10", port 53), an IP and port ("198.18.0.10:5353",
 * "[fd00::a]:53"), or a Kubernetes Service ("k8s-service:kube-dns" in kube-system, or
 * "k8s-service:<namespace>/<name>"), whose ClusterIPs and endpoint addresses are trusted.
 */
import { dns1123LabelProblem } from "./dns-name.ts";
import { ipFamilyOf } from "./ip-address.ts";

/** DnsTrustedServer is one parsed entry. */
export type DnsTrustedServer =
  | { readonly kind: "address"; readonly ip: string; readonly port: number }
  | { readonly kind: "k8s-service"; readonly namespace: string; readonly name: string };

/** Calico's default: the cluster's DNS Service. */
export const DEFAULT_DNS_TRUSTED_SERVERS = ["k8s-service:kube-dns"] as const;

const SERVICE_PREFIX = "k8s-service:";

/** parseDnsTrustedServer reads one entry, or says why it is not one. */
export function parseDnsTrustedServer(text: string): DnsTrustedServer | { readonly problem: string } {
  const bad = (why: string) => ({ problem: `invalid trusted DNS server ${JSON.stringify(text)}: ${why}` });
  if (text.startsWith(SERVICE_PREFIX)) {
    const ref = text.slice(SERVICE_PREFIX.length);
    const parts = ref.split("/");
    if (parts.length > 2) return bad('expected "k8s-service:<name>" or "k8s-service:<namespace>/<name>"');
    const [namespace, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ["kube-system", parts[0]!];
    for (const [what, v] of [
      ["namespace", namespace],
      ["Service name", name],
    ] as const) {
      const p = dns1123LabelProblem(v);
      if (p !== undefined) return bad(`${what}: ${p}`);
    }
    return { kind: "k8s-service", namespace, name };
  }
  if (ipFamilyOf(text) !== undefined) return { kind: "address", ip: text, port: 53 };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (m === null)
    return bad('expected an IP, "<IP>:<port>", "[<IPv6>]:<port>" or "k8s-service:[<namespace>/]<name>"');
  const ip = m[1]!;
  const port = Number(m[2]);
  if (ipFamilyOf(ip) === undefined) return bad(`${JSON.stringify(ip)} is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return bad(`port ${m[2]} is not in 1-65535`);
  return { kind: "address", ip, port };
}

/** dnsTrustedServerProblem is the schema's check: the reason an entry is bad, or undefined. */
export function dnsTrustedServerProblem(text: string): string | undefined {
  const r = parseDnsTrustedServer(text);
  return "problem" in r ? r.problem : undefined;
}
