/**
 * dataplaneSettings turns the FelixConfiguration resources (`default`, then `node.<name>`) into
 * what the agent programs: sl_globals (service mode, conntrack timeouts), per-interface
 * constants (VXLAN port, VNI, MTU), map sizes, interface selection, the datapath log level, and
 * whether kube-proxy's rules are cleaned up.
 * Pure: resources in, plain data out.
 */
import { parseDnsTrustedServer, type DnsTrustedServer } from "../model/dns-trusted-server.ts";
import type { CtTimeouts, ExternalServiceMode } from "../datapath/maps/globals-map.ts";
import { effectiveFelixConfiguration } from "../model/felix-configuration-values.ts";
import type { FelixConfiguration, FelixConfigurationSpec } from "../model/felix-configuration.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { durationSeconds } from "./duration-seconds.ts";

/** BpfLogLevel is FelixConfiguration's bpfLogLevel. */
export type BpfLogLevel = "Off" | "Info" | "Debug";

/** DataplaneSettings is the effective configuration the agent applies. */
export interface DataplaneSettings {
  readonly externalServiceMode: ExternalServiceMode;
  readonly ctTimeouts: CtTimeouts;
  /** Largest inner packet through the tunnel; 0 = detect (host interface MTU - 50, as Felix). */
  readonly vxlanMtu: number;
  readonly vxlanPort: number;
  readonly vxlanVni: number;
  readonly bpfLogLevel: BpfLogLevel;
  /**
   * BPF map name → max entries: the bpfMapSize* field when set, else Calico's default for it
   * (conntrack 512,000, NAT frontend 65,536, backend 262,144, affinity 65,536, route 262,144);
   * the lab passes smaller ones through FelixConfiguration.
   */
  readonly mapSizes: Readonly<Record<string, number>>;
  /** bpfMapSizeConntrackScaling: DoubleIfFull lets the conntrack sweeper double a full sl_ct. */
  readonly conntrackDoubleIfFull: boolean;
  readonly dataIfacePattern: string;
  /** interfacePrefix split on ","; undefined when no FelixConfiguration sets it. */
  readonly interfacePrefixes: readonly string[] | undefined;
  /** bpfKubeProxyIptablesCleanupEnabled: remove kube-proxy's rules while eBPF mode serves Services. */
  readonly kubeProxyCleanup: boolean;
  /** The flowLogs* fields: on when flowLogsFileEnabled (sl_globals SL_GLOBAL_FLOW_EVENTS). */
  readonly flowLogs: FlowLogSettings;
  /** dnsTrustedServers (parsed; bad entries left out, validation names them) and dnsExtraTTL. */
  readonly dns: DnsSettings;
}

/** DnsSettings are FelixConfiguration's DNS policy fields, ready to use. */
export interface DnsSettings {
  readonly trustedServers: readonly DnsTrustedServer[];
  readonly extraTtlS: number;
}

/** FlowLogSettings are FelixConfiguration's flow log fields, ready to use. */
export interface FlowLogSettings {
  readonly enabled: boolean;
  readonly flushIntervalS: number;
  readonly directory: string;
  readonly maxFiles: number;
  readonly maxFileSizeBytes: number;
  /** Calico's aggregation levels, 0..3. */
  readonly levelAllowed: 0 | 1 | 2 | 3;
  readonly levelDenied: 0 | 1 | 2 | 3;
  readonly includeLabels: boolean;
  readonly includePolicies: boolean;
  readonly includeService: boolean;
}

function level(n: number): 0 | 1 | 2 | 3 {
  return n === 0 || n === 1 || n === 2 || n === 3 ? n : 2;
}

/**
 * ringBufferBytes is the size of a ring buffer of `mib` MiB as the kernel accepts it: a ring's
 * size must be a power of two (and a multiple of the page size, which 1 MiB already is), so a
 * size in between rounds up — `bpfExportBufferSizeMB: 3` gives a 4 MiB ring.
 */
export function ringBufferBytes(mib: number): number {
  let bytes = 1 << 20;
  while (bytes < mib * (1 << 20)) bytes *= 2;
  return bytes;
}

/** MAP_SIZE_FIELDS maps bpfMapSize* fields to the datapath maps they size. */
export const MAP_SIZE_FIELDS = {
  bpfMapSizeConntrack: SL_MAP.ct,
  bpfMapSizeNATFrontend: SL_MAP.nat_fe,
  bpfMapSizeNATBackend: SL_MAP.nat_be,
  bpfMapSizeNATAffinity: SL_MAP.affinity,
  bpfMapSizeRoute: SL_MAP.routes,
  bpfMapSizeIPSets: SL_MAP.ipsets,
} as const satisfies Partial<Record<keyof FelixConfigurationSpec, string>>;

const TIMEOUTS = [
  ["tcpSynSent", "tcpSynSent"],
  ["tcpEstablished", "tcpEstablished"],
  ["tcpFinsSeen", "tcpFinsSeen"],
  ["tcpResetSeen", "tcpResetSeen"],
  ["udpTimeout", "udp"],
  ["icmpTimeout", "icmp"],
  ["genericTimeout", "generic"],
  ["creationGracePeriod", "creationGrace"],
] as const;

function seconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return durationSeconds(text);
  } catch {
    return undefined; // validation already rejects bad durations; never let one stop a sync
  }
}

/** dataplaneSettings layers `node` over `global` over Felix's defaults. */
export function dataplaneSettings(global?: FelixConfiguration, node?: FelixConfiguration): DataplaneSettings {
  const v = effectiveFelixConfiguration(global, node);
  const ctTimeouts: CtTimeouts = {};
  const t = v.bpfConntrackTimeouts as Readonly<Record<string, string | undefined>>;
  for (const [field, slot] of TIMEOUTS) {
    const s = seconds(t[field]);
    if (s !== undefined && s > 0) ctTimeouts[slot] = s;
  }
  const mapSizes: Record<string, number> = {};
  for (const [field, map] of Object.entries(MAP_SIZE_FIELDS)) {
    const set =
      (node?.spec as Record<string, unknown> | undefined)?.[field] ??
      (global?.spec as Record<string, unknown> | undefined)?.[field];
    // Calico's defaults, not abi.h's smaller object sizes (those keep test loads cheap).
    const fallback = map === "sl_ct" ? undefined : (v as Record<string, unknown>)[field];
    const size = typeof set === "number" ? set : fallback;
    if (typeof size === "number") mapSizes[map] = size;
  }
  // Calico's 512,000 rather than the object's 65,536: conntrack must hold every live flow.
  mapSizes["sl_ct"] ??= v.bpfMapSizeConntrack;
  mapSizes[SL_MAP.pol_events] = ringBufferBytes(v.bpfExportBufferSizeMB);
  const prefix =
    (node?.spec as Record<string, unknown> | undefined)?.["interfacePrefix"] ??
    (global?.spec as Record<string, unknown> | undefined)?.["interfacePrefix"];
  return {
    externalServiceMode: v.bpfExternalServiceMode === "DSR" ? "DSR" : "Tunnel",
    ctTimeouts,
    vxlanMtu: v.vxlanMTU,
    vxlanPort: v.vxlanPort,
    vxlanVni: v.vxlanVNI,
    bpfLogLevel: v.bpfLogLevel === "Debug" ? "Debug" : v.bpfLogLevel === "Info" ? "Info" : "Off",
    mapSizes,
    conntrackDoubleIfFull: String(v.bpfMapSizeConntrackScaling).toLowerCase() !== "disabled",
    dataIfacePattern: v.bpfDataIfacePattern,
    kubeProxyCleanup: v.bpfKubeProxyIptablesCleanupEnabled,
    flowLogs: {
      enabled: v.flowLogsFileEnabled,
      // at least a second: a zero interval would flush in a busy loop
      flushIntervalS: Math.max(1, seconds(v.flowLogsFlushInterval) ?? 300),
      directory: v.flowLogsFileDirectory,
      maxFiles: v.flowLogsFileMaxFiles,
      maxFileSizeBytes: v.flowLogsFileMaxFileSizeMB * 1024 * 1024,
      levelAllowed: level(v.flowLogsFileAggregationKindForAllowed),
      levelDenied: level(v.flowLogsFileAggregationKindForDenied),
      includeLabels: v.flowLogsFileIncludeLabels,
      includePolicies: v.flowLogsFileIncludePolicies,
      includeService: v.flowLogsFileIncludeService,
    },
    dns: {
      trustedServers: v.dnsTrustedServers.flatMap((t) => {
        const r = parseDnsTrustedServer(t);
        return "problem" in r ? [] : [r];
      }),
      extraTtlS: Math.max(0, seconds(v.dnsExtraTTL) ?? 0),
    },
    interfacePrefixes:
      typeof prefix === "string" && prefix !== ""
        ? prefix
            .split(",")
            .map((p) => p.trim())
            .filter((p) => p !== "")
        : undefined,
  };
}
