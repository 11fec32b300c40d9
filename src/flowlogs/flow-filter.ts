/**
 * FlowFilter is the `from=` / `to=` / `action=` filter of `GET /flows` and `sluice flows`: an
 * endpoint is a pod ("namespace/name"), a namespace, or an IPv4 address. A pod matches records
 * that name it, or that aggregated it away under its prefix ("client-7d9f-*").
 */
import type { FlowRecord } from "./flow-record.ts";

/** EndpointMatch is one side's filter. */
export type EndpointMatch =
  | { readonly kind: "pod"; readonly namespace: string; readonly name: string }
  | { readonly kind: "namespace"; readonly namespace: string }
  | { readonly kind: "ip"; readonly ip: string };

/** FlowFilter selects records; an absent field matches everything. */
export interface FlowFilter {
  readonly from?: EndpointMatch;
  readonly to?: EndpointMatch;
  readonly action?: "allow" | "deny";
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// namespaces are DNS-1123 labels; pod names DNS-1123 subdomains (dots allowed)
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** parseEndpointMatch reads "ns/name", "ns" or an IPv4 address; throws naming the flag and why. */
export function parseEndpointMatch(flag: string, text: string): EndpointMatch {
  if (IPV4.test(text)) return { kind: "ip", ip: text };
  const parts = text.split("/");
  if (parts.length === 2 && NAMESPACE.test(parts[0]!) && NAME.test(parts[1]!))
    return { kind: "pod", namespace: parts[0]!, name: parts[1]! };
  if (parts.length === 1 && NAMESPACE.test(text)) return { kind: "namespace", namespace: text };
  throw new Error(
    `filter flows: ${flag} ${JSON.stringify(text)} is not a pod ("namespace/name"), a namespace or an IPv4 address`,
  );
}

/** parseFlowFilter reads the three filters (query parameters or CLI flags); throws on a bad one. */
export function parseFlowFilter(raw: {
  from?: string | undefined;
  to?: string | undefined;
  action?: string | undefined;
}): FlowFilter {
  const out: { from?: EndpointMatch; to?: EndpointMatch; action?: "allow" | "deny" } = {};
  if (raw.from !== undefined && raw.from !== "") out.from = parseEndpointMatch("from", raw.from);
  if (raw.to !== undefined && raw.to !== "") out.to = parseEndpointMatch("to", raw.to);
  if (raw.action !== undefined && raw.action !== "") {
    const a = raw.action.toLowerCase();
    if (a !== "allow" && a !== "deny")
      throw new Error(`filter flows: action ${JSON.stringify(raw.action)} is not "allow" or "deny"`);
    out.action = a;
  }
  return out;
}

function sideMatches(
  m: EndpointMatch,
  ip: string | null,
  namespace: string,
  name: string,
  nameAggr: string,
): boolean {
  switch (m.kind) {
    case "ip":
      return ip === m.ip;
    case "namespace":
      return namespace === m.namespace;
    case "pod":
      if (namespace !== m.namespace) return false;
      if (name === m.name) return true;
      return name === "-" && nameAggr.endsWith("*") && m.name.startsWith(nameAggr.slice(0, -1));
  }
}

/** matchFlow tells whether a record passes the filter. */
export function matchFlow(f: FlowFilter, r: FlowRecord): boolean {
  if (f.action !== undefined && r.action !== f.action) return false;
  if (f.from && !sideMatches(f.from, r.source_ip, r.source_namespace, r.source_name, r.source_name_aggr))
    return false;
  if (f.to && !sideMatches(f.to, r.dest_ip, r.dest_namespace, r.dest_name, r.dest_name_aggr)) return false;
  return true;
}
