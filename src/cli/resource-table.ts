/**
 * resourceTable renders resources as kubectl's default (and `-o wide`) table: one column set per
 * kind, left-aligned, three spaces apart. Pure.
 */
import type { Resource } from "../model/resource.ts";

type Column = readonly [header: string, cell: (r: Resource) => string, wideOnly?: boolean];

function ports(r: Resource): string {
  if (r.kind !== "Service") return "";
  if (r.spec.ports.length === 0) return "<none>";
  return r.spec.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol}`).join(",");
}

function externalIp(r: Resource): string {
  if (r.kind !== "Service") return "";
  if (r.spec.type === "ExternalName") return r.spec.externalName ?? "<none>";
  const ips = [...(r.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ""), ...(r.spec.externalIPs ?? [])].filter((s) => s !== "");
  if (ips.length > 0) return ips.join(",");
  return r.spec.type === "LoadBalancer" ? "<pending>" : "<none>";
}

function mapText(m: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}

const columns: Record<Resource["kind"], readonly Column[]> = {
  Service: [
    ["TYPE", (r) => (r.kind === "Service" ? r.spec.type : "")],
    ["CLUSTER-IP", (r) => (r.kind === "Service" ? r.spec.clusterIP || "<none>" : "")],
    ["EXTERNAL-IP", externalIp],
    ["PORT(S)", ports],
    ["SELECTOR", (r) => (r.kind === "Service" ? mapText(r.spec.selector) : ""), true],
  ],
  EndpointSlice: [
    ["ADDRESSTYPE", (r) => (r.kind === "EndpointSlice" ? r.addressType : "")],
    ["PORTS", (r) => (r.kind === "EndpointSlice" ? r.ports.map((p) => p.port ?? "<unset>").join(",") || "<unset>" : "")],
    ["ENDPOINTS", (r) => (r.kind === "EndpointSlice" ? r.endpoints.flatMap((e) => e.addresses).join(",") || "<unset>" : "")],
  ],
  Node: [
    ["INTERNAL-IP", (r) => (r.kind === "Node" ? r.status.addresses.find((a) => a.type === "InternalIP")?.address ?? "<none>" : "")],
    ["POD-CIDR", (r) => (r.kind === "Node" ? r.spec.podCIDR ?? "<none>" : "")],
    ["LABELS", (r) => mapText(r.metadata.labels), true],
  ],
  Pod: [
    ["STATUS", (r) => (r.kind === "Pod" ? r.status.phase ?? "Unknown" : "")],
    ["IP", (r) => (r.kind === "Pod" ? r.status.podIP || "<none>" : ""), true],
    ["NODE", (r) => (r.kind === "Pod" ? r.spec.nodeName ?? "<none>" : ""), true],
  ],
  Namespace: [],
  ConfigMap: [["DATA", (r) => (r.kind === "ConfigMap" ? String(Object.keys(r.data ?? {}).length + Object.keys(r.binaryData ?? {}).length) : "")]],
  DaemonSet: [["NODE SELECTOR", (r) => (r.kind === "DaemonSet" ? mapText(r.spec.template?.spec?.nodeSelector) : "")]],
  FelixConfiguration: [
    ["BPF-ENABLED", (r) => (r.kind === "FelixConfiguration" ? String(r.spec.bpfEnabled ?? "<default>") : "")],
    ["EXTERNAL-SERVICE-MODE", (r) => (r.kind === "FelixConfiguration" ? r.spec.bpfExternalServiceMode ?? "<default>" : "")],
    ["KUBE-PROXY-CLEANUP", (r) => (r.kind === "FelixConfiguration" ? String(r.spec.bpfKubeProxyIptablesCleanupEnabled ?? "<default>") : ""), true],
  ],
  Installation: [
    ["LINUX-DATAPLANE", (r) => (r.kind === "Installation" ? r.spec.calicoNetwork?.linuxDataplane ?? "<default>" : "")],
    ["HOST-PORTS", (r) => (r.kind === "Installation" ? r.spec.calicoNetwork?.hostPorts ?? "<default>" : "")],
  ],
};

/** resourceTable formats same-kind resources; `withNamespace` adds the NAMESPACE column (for -A). */
export function resourceTable(resources: readonly Resource[], options: { wide: boolean; withNamespace: boolean }): string {
  const first = resources[0];
  if (first === undefined) return "";
  const cols: Column[] = [
    ...(options.withNamespace ? [["NAMESPACE", (r: Resource): string => String(r.metadata.namespace ?? "")] as Column] : []),
    ["NAME", (r) => r.metadata.name],
    ...columns[first.kind].filter((c) => options.wide || !c[2]),
  ];
  const rows = [cols.map((c) => c[0]), ...resources.map((r) => cols.map((c) => c[1](r)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join("")).join("\n");
}
