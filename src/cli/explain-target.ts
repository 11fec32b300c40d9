/**
 * The arguments of `sluice policy explain`, parsed: a target is an IPv4 address, a pod
 * (`NAME`, `NS/NAME`, `pod/NAME`, `pod/NS/NAME`) or a Service (`svc/NAME`, `svc/NS/NAME`,
 * `service/...`); a bare name or `NAME` in a `pod/`/`svc/` form takes the --namespace. A port is
 * `80/TCP` (TCP, UDP or SCTP; the protocol defaults to TCP). Pure; errors name the flag.
 */
import { ipFamilyOf } from "../model/ip-address.ts";

/** ExplainTarget is what --from or --to names. */
export type ExplainTarget =
  | { readonly kind: "ip"; readonly ip: string }
  | { readonly kind: "pod"; readonly namespace: string; readonly name: string }
  | { readonly kind: "service"; readonly namespace: string; readonly name: string };

/** ExplainPort is the --port: a number and an L4 protocol. */
export interface ExplainPort {
  readonly port: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

/** PROTOCOL_NUMBER is the IP protocol number of each ExplainPort protocol. */
export const PROTOCOL_NUMBER: Readonly<Record<ExplainPort["protocol"], number>> = {
  TCP: 6,
  UDP: 17,
  SCTP: 132,
};

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function checkName(flag: string, text: string, what: string, name: string): string {
  if (!NAME.test(name) || name.length > 253)
    throw new Error(
      `policy explain: ${flag} ${JSON.stringify(text)}: ${what} ${JSON.stringify(name)} is not a valid name (lowercase letters, digits, '-', '.')`,
    );
  return name;
}

/** parseExplainTarget reads a --from / --to value. */
export function parseExplainTarget(flag: string, text: string, namespace: string): ExplainTarget {
  if (text.trim() === "") throw new Error(`policy explain: ${flag} is empty; give a pod, an IP or a service`);
  if (/^[0-9.]+$/.test(text)) {
    if (ipFamilyOf(text) !== "IPv4")
      throw new Error(`policy explain: ${flag} ${JSON.stringify(text)} is not a valid IPv4 address`);
    return { kind: "ip", ip: text };
  }
  if (text.includes(":"))
    throw new Error(
      `policy explain: ${flag} ${JSON.stringify(text)}: only IPv4 is supported (IPv6 to a policed pod is dropped)`,
    );
  const parts = text.split("/");
  let kind: "pod" | "service" = "pod";
  const head = parts[0]!.toLowerCase();
  if (parts.length > 1 && ["pod", "pods", "po", "svc", "service", "services"].includes(head)) {
    kind = head.startsWith("po") ? "pod" : "service";
    parts.shift();
  }
  if (parts.length === 1) return { kind, namespace, name: checkName(flag, text, kind, parts[0]!) };
  if (parts.length === 2)
    return {
      kind,
      namespace: checkName(flag, text, "namespace", parts[0]!),
      name: checkName(flag, text, kind, parts[1]!),
    };
  throw new Error(
    `policy explain: ${flag} ${JSON.stringify(text)}: expected an IPv4 address, NAME, NAMESPACE/NAME, pod/[NAMESPACE/]NAME or svc/[NAMESPACE/]NAME`,
  );
}

/** parseExplainPort reads --port: `80`, `80/TCP`, `53/udp`. */
export function parseExplainPort(text: string): ExplainPort {
  const m = /^(\d{1,5})(?:\/([A-Za-z]+))?$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[1]);
  if (m === null || port < 1 || port > 65535)
    throw new Error(
      `policy explain: --port ${JSON.stringify(text)}: expected PORT/PROTOCOL with PORT 1-65535 and PROTOCOL TCP, UDP or SCTP (e.g. 80/TCP)`,
    );
  const protocol = (m[2] ?? "TCP").toUpperCase();
  if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP")
    throw new Error(
      `policy explain: --port ${JSON.stringify(text)}: protocol ${JSON.stringify(m[2])} is not TCP, UDP or SCTP`,
    );
  return { port, protocol };
}
