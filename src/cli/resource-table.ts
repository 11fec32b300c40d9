/**
 * resourceTable renders resources as kubectl's default (and `-o wide`) table: one column set per
 * kind, left-aligned, three spaces apart. Pure.
 */
import type { Resource } from "../model/resource.ts";
import { DEFAULT_TIER_ORDER } from "../model/tier.ts";

type Column = readonly [header: string, cell: (r: Resource) => string, wideOnly?: boolean];

function ports(r: Resource): string {
  if (r.kind !== "Service") return "";
  if (r.spec.ports.length === 0) return "<none>";
  return r.spec.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol}`).join(",");
}

function externalIp(r: Resource): string {
  if (r.kind !== "Service") return "";
  if (r.spec.type === "ExternalName") return r.spec.externalName ?? "<none>";
  const ips = [
    ...(r.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ""),
    ...(r.spec.externalIPs ?? []),
  ].filter((s) => s !== "");
  if (ips.length > 0) return ips.join(",");
  return r.spec.type === "LoadBalancer" ? "<pending>" : "<none>";
}

function mapText(m: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}

function labelSelectorText(sel: {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?:
    ReadonlyArray<{ key: string; operator: string; values?: string[] | undefined }> | undefined;
}): string {
  const parts = [
    ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel.matchExpressions ?? []).map((e) => {
      if (e.operator === "Exists") return e.key;
      if (e.operator === "DoesNotExist") return `!${e.key}`;
      return `${e.key} ${e.operator === "In" ? "in" : "notin"} (${(e.values ?? []).join(",")})`;
    }),
  ];
  return parts.length === 0 ? "<none>" : parts.join(",");
}

type Calico =
  | Extract<Resource, { kind: "GlobalNetworkPolicy" }>
  | Extract<Resource, { kind: "NetworkPolicy"; apiVersion: "projectcalico.org/v3" }>;

function calicoPolicy(r: Resource): Calico | undefined {
  return r.kind === "GlobalNetworkPolicy" ||
    (r.kind === "NetworkPolicy" && r.apiVersion === "projectcalico.org/v3")
    ? r
    : undefined;
}

const calicoPolicyColumns: readonly Column[] = [
  ["TIER", (r) => calicoPolicy(r)?.spec.tier ?? ""],
  ["ORDER", (r) => String(calicoPolicy(r)?.spec.order ?? "<none>")],
  ["SELECTOR", (r) => calicoPolicy(r)?.spec.selector ?? "all()"],
  ["TYPES", (r) => calicoPolicy(r)?.spec.types.join(",") ?? "", true],
];

function nets(r: Resource): string {
  if (r.kind !== "NetworkSet" && r.kind !== "GlobalNetworkSet") return "";
  return (r.spec.nets ?? []).join(",") || "<none>";
}

type TableKind = Resource["kind"] | "NetworkPolicy.projectcalico.org";

function tableKind(r: Resource): TableKind {
  return r.kind === "NetworkPolicy" && r.apiVersion === "projectcalico.org/v3"
    ? "NetworkPolicy.projectcalico.org"
    : r.kind;
}

const columns: Record<TableKind, readonly Column[]> = {
  Service: [
    ["TYPE", (r) => (r.kind === "Service" ? r.spec.type : "")],
    ["CLUSTER-IP", (r) => (r.kind === "Service" ? r.spec.clusterIP || "<none>" : "")],
    ["EXTERNAL-IP", externalIp],
    ["PORT(S)", ports],
    ["SELECTOR", (r) => (r.kind === "Service" ? mapText(r.spec.selector) : ""), true],
  ],
  EndpointSlice: [
    ["ADDRESSTYPE", (r) => (r.kind === "EndpointSlice" ? r.addressType : "")],
    [
      "PORTS",
      (r) =>
        r.kind === "EndpointSlice" ? r.ports.map((p) => p.port ?? "<unset>").join(",") || "<unset>" : "",
    ],
    [
      "ENDPOINTS",
      (r) =>
        r.kind === "EndpointSlice" ? r.endpoints.flatMap((e) => e.addresses).join(",") || "<unset>" : "",
    ],
  ],
  Node: [
    [
      "INTERNAL-IP",
      (r) =>
        r.kind === "Node"
          ? (r.status.addresses.find((a) => a.type === "InternalIP")?.address ?? "<none>")
          : "",
    ],
    ["POD-CIDR", (r) => (r.kind === "Node" ? (r.spec.podCIDR ?? "<none>") : "")],
    ["LABELS", (r) => mapText(r.metadata.labels), true],
  ],
  Pod: [
    ["STATUS", (r) => (r.kind === "Pod" ? (r.status.phase ?? "Unknown") : "")],
    ["IP", (r) => (r.kind === "Pod" ? r.status.podIP || "<none>" : ""), true],
    ["NODE", (r) => (r.kind === "Pod" ? (r.spec.nodeName ?? "<none>") : ""), true],
  ],
  Namespace: [],
  ConfigMap: [
    [
      "DATA",
      (r) =>
        r.kind === "ConfigMap"
          ? String(Object.keys(r.data ?? {}).length + Object.keys(r.binaryData ?? {}).length)
          : "",
    ],
  ],
  DaemonSet: [
    ["NODE SELECTOR", (r) => (r.kind === "DaemonSet" ? mapText(r.spec.template?.spec?.nodeSelector) : "")],
  ],
  FelixConfiguration: [
    ["BPF-ENABLED", (r) => (r.kind === "FelixConfiguration" ? String(r.spec.bpfEnabled ?? "<default>") : "")],
    [
      "EXTERNAL-SERVICE-MODE",
      (r) => (r.kind === "FelixConfiguration" ? (r.spec.bpfExternalServiceMode ?? "<default>") : ""),
    ],
    [
      "KUBE-PROXY-CLEANUP",
      (r) =>
        r.kind === "FelixConfiguration"
          ? String(r.spec.bpfKubeProxyIptablesCleanupEnabled ?? "<default>")
          : "",
      true,
    ],
  ],
  Installation: [
    [
      "LINUX-DATAPLANE",
      (r) => (r.kind === "Installation" ? (r.spec.calicoNetwork?.linuxDataplane ?? "<default>") : ""),
    ],
    [
      "HOST-PORTS",
      (r) => (r.kind === "Installation" ? (r.spec.calicoNetwork?.hostPorts ?? "<default>") : ""),
    ],
  ],
  NetworkPolicy: [
    [
      "POD-SELECTOR",
      (r) =>
        r.kind === "NetworkPolicy" && r.apiVersion === "networking.k8s.io/v1"
          ? labelSelectorText(r.spec.podSelector)
          : "",
    ],
    [
      "POLICY-TYPES",
      (r) =>
        r.kind === "NetworkPolicy" && r.apiVersion === "networking.k8s.io/v1"
          ? r.spec.policyTypes.join(",")
          : "",
      true,
    ],
  ],
  "NetworkPolicy.projectcalico.org": calicoPolicyColumns,
  GlobalNetworkPolicy: calicoPolicyColumns,
  Tier: [
    [
      "ORDER",
      (r) =>
        r.kind === "Tier"
          ? String(r.spec.order ?? (r.metadata.name === "default" ? DEFAULT_TIER_ORDER : "<none>"))
          : "",
    ],
    ["DEFAULT-ACTION", (r) => (r.kind === "Tier" ? r.spec.defaultAction : "")],
  ],
  NetworkSet: [
    ["NETS", nets],
    ["LABELS", (r) => mapText(r.metadata.labels), true],
  ],
  GlobalNetworkSet: [
    ["NETS", nets],
    ["LABELS", (r) => mapText(r.metadata.labels), true],
  ],
  HostEndpoint: [
    ["NODE", (r) => (r.kind === "HostEndpoint" ? r.spec.node : "")],
    ["INTERFACE", (r) => (r.kind === "HostEndpoint" ? (r.spec.interfaceName ?? "<none>") : "")],
    [
      "EXPECTED-IPS",
      (r) => (r.kind === "HostEndpoint" ? (r.spec.expectedIPs ?? []).join(",") || "<none>" : ""),
    ],
    ["LABELS", (r) => mapText(r.metadata.labels), true],
  ],
};

/** resourceTable formats same-kind resources; `withNamespace` adds the NAMESPACE column (for -A). */
export function resourceTable(
  resources: readonly Resource[],
  options: { wide: boolean; withNamespace: boolean },
): string {
  const first = resources[0];
  if (first === undefined) return "";
  const cols: Column[] = [
    ...(options.withNamespace
      ? [["NAMESPACE", (r: Resource): string => String(r.metadata.namespace ?? "")] as Column]
      : []),
    ["NAME", (r) => r.metadata.name],
    ...columns[tableKind(first)].filter((c) => options.wide || !c[2]),
  ];
  const rows = [cols.map((c) => c[0]), ...resources.map((r) => cols.map((c) => c[1](r)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join(""))
    .join("\n");
}
