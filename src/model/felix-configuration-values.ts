/**
 * effectiveFelixConfiguration: what the dataplane actually runs with — Calico's defaults, then
 * the global `default` FelixConfiguration, then the node's `node.<nodename>` one, field by field
 * (Calico's precedence). Defaults are Felix's published ones (felix/config/config_params.go).
 */
import type { FelixConfiguration, FelixConfigurationSpec } from "./felix-configuration.ts";

/** ProtoPort is a failsafe port: protocol, port and optional CIDR. */
export interface ProtoPort {
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly port: number;
  readonly net?: string;
}

const inbound: ProtoPort[] = [
  { protocol: "TCP", port: 22 },
  { protocol: "UDP", port: 68 },
  { protocol: "TCP", port: 179 },
  { protocol: "TCP", port: 2379 },
  { protocol: "TCP", port: 2380 },
  { protocol: "TCP", port: 5473 },
  { protocol: "TCP", port: 6443 },
  { protocol: "TCP", port: 6666 },
  { protocol: "TCP", port: 6667 },
];
const outbound: ProtoPort[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "UDP", port: 67 },
  { protocol: "TCP", port: 179 },
  { protocol: "TCP", port: 2379 },
  { protocol: "TCP", port: 2380 },
  { protocol: "TCP", port: 5473 },
  { protocol: "TCP", port: 6443 },
  { protocol: "TCP", port: 6666 },
  { protocol: "TCP", port: 6667 },
];

/** FELIX_DEFAULTS are Felix's defaults for the fields Sluice acts on. */
export const FELIX_DEFAULTS = {
  bpfEnabled: false,
  bpfDisableUnprivileged: true,
  bpfExternalServiceMode: "Tunnel",
  bpfDSROptoutCIDRs: [] as string[],
  bpfKubeProxyIptablesCleanupEnabled: true,
  bpfKubeProxyMinSyncPeriod: "1s",
  bpfKubeProxyHealthzPort: 10256,
  bpfConnectTimeLoadBalancing: "TCP",
  bpfHostNetworkedNATWithoutCTLB: "Enabled",
  bpfDataIfacePattern: "^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan|bond).*)",
  bpfL3IfacePattern: "",
  bpfLogLevel: "Off",
  bpfMapSizeConntrack: 512000,
  bpfMapSizeConntrackScaling: "DoubleIfFull",
  bpfMapSizeNATFrontend: 65536,
  bpfMapSizeNATBackend: 262144,
  bpfMapSizeNATAffinity: 65536,
  bpfMapSizeRoute: 262144,
  bpfMapSizeIPSets: 1048576,
  bpfMapSizeIfState: 1000,
  bpfExportBufferSizeMB: 1,
  bpfConntrackTimeouts: {
    creationGracePeriod: "10s",
    tcpSynSent: "20s",
    tcpEstablished: "1h",
    tcpFinsSeen: "Auto",
    tcpResetSeen: "40s",
    udpTimeout: "60s",
    genericTimeout: "10m",
    icmpTimeout: "5s",
  },
  bpfEnforceRPF: "Loose",
  bpfPSNATPorts: "20000:29999",
  bpfExcludeCIDRsFromNAT: [] as string[],
  bpfHostConntrackBypass: false,
  bpfRedirectToPeer: "Enabled",
  bpfAttachType: "TCX",
  // 0 = detect: host MTU minus the 50-byte VXLAN overhead, as Felix does.
  vxlanMTU: 0,
  vxlanMTUV6: 0,
  vxlanPort: 4789,
  vxlanVNI: 4096,
  failsafeInboundHostPorts: inbound,
  failsafeOutboundHostPorts: outbound,
  kubeNodePortRanges: ["30000:32767"] as (string | number)[],
  healthEnabled: false,
  healthHost: "localhost",
  healthPort: 9099,
  prometheusMetricsEnabled: false,
  prometheusMetricsHost: "",
  prometheusMetricsPort: 9091,
  // Flow logs: Calico Enterprise's Felix defaults (file output off until asked for).
  flowLogsFlushInterval: "300s",
  flowLogsFileEnabled: false,
  flowLogsFileDirectory: "/var/log/calico/flowlogs",
  flowLogsFileMaxFiles: 5,
  flowLogsFileMaxFileSizeMB: 100,
  flowLogsFileAggregationKindForAllowed: 2,
  flowLogsFileAggregationKindForDenied: 1,
  flowLogsFileIncludeLabels: false,
  flowLogsFileIncludePolicies: false,
  flowLogsFileIncludeService: false,
  dnsTrustedServers: ["k8s-service:kube-dns"] as string[],
  dnsExtraTTL: "0s",
} as const;

type Defaults = typeof FELIX_DEFAULTS;
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

/** FelixValues is the effective configuration: every Sluice-relevant field has a value. */
export type FelixValues = {
  readonly [K in keyof Defaults]: K extends keyof FelixConfigurationSpec
    ? Exclude<FelixConfigurationSpec[K], undefined> | Widen<Defaults[K]>
    : Widen<Defaults[K]>;
};

function pick(spec: FelixConfigurationSpec | undefined, key: keyof Defaults): unknown {
  return spec === undefined ? undefined : (spec as Record<string, unknown>)[key];
}

/**
 * effectiveFelixConfiguration layers `global` (the `default` resource) and `node`
 * (`node.<nodename>`) over Felix's defaults. bpfConntrackTimeouts merge per timeout; a legacy
 * `bpfConnectTimeLoadBalancingEnabled: false` means `bpfConnectTimeLoadBalancing: Disabled`
 * unless the newer field is set, as in Felix.
 */
export function effectiveFelixConfiguration(
  global?: FelixConfiguration,
  node?: FelixConfiguration,
): FelixValues {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(FELIX_DEFAULTS) as (keyof Defaults)[]) {
    out[key] = pick(node?.spec, key) ?? pick(global?.spec, key) ?? FELIX_DEFAULTS[key];
  }
  out["bpfConntrackTimeouts"] = {
    ...FELIX_DEFAULTS.bpfConntrackTimeouts,
    ...global?.spec.bpfConntrackTimeouts,
    ...node?.spec.bpfConntrackTimeouts,
  };
  const ctlbSet = node?.spec.bpfConnectTimeLoadBalancing ?? global?.spec.bpfConnectTimeLoadBalancing;
  const legacy =
    node?.spec.bpfConnectTimeLoadBalancingEnabled ?? global?.spec.bpfConnectTimeLoadBalancingEnabled;
  if (ctlbSet === undefined && legacy !== undefined)
    out["bpfConnectTimeLoadBalancing"] = legacy ? "Enabled" : "Disabled";
  out["failsafeInboundHostPorts"] = withProtocol(
    out["failsafeInboundHostPorts"] as readonly ProtoPortInput[],
  );
  out["failsafeOutboundHostPorts"] = withProtocol(
    out["failsafeOutboundHostPorts"] as readonly ProtoPortInput[],
  );
  return out as FelixValues;
}

interface ProtoPortInput {
  readonly protocol?: "TCP" | "UDP" | "SCTP" | undefined;
  readonly port: number;
  readonly net?: string | undefined;
}

// Calico: "if the protocol is not specified, it defaults to tcp".
function withProtocol(list: readonly ProtoPortInput[]): ProtoPort[] {
  return list.map((p) => ({ protocol: p.protocol ?? "TCP", port: p.port, ...(p.net ? { net: p.net } : {}) }));
}
