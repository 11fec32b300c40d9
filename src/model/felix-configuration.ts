/**
 * FelixConfiguration (projectcalico.org/v3): the dataplane's settings, with Calico's field names.
 * The resource holds only what the user set — Calico applies defaults in Felix, not in the
 * stored object — so `get -o yaml` shows the user's intent; `effectiveFelixConfiguration`
 * (felix-configuration-values.ts) fills in the defaults. Unknown fields are errors.
 */
import { z } from "zod";
import {
  calicoEnum,
  checkedString,
  cidr,
  duration,
  optionalPortNumber,
  portNumber,
  regexPattern,
} from "./field-schemas.ts";
import { dnsTrustedServerProblem } from "./dns-trusted-server.ts";
import { FELIX_OTHER_FIELDS } from "./felix-other-fields.ts";
import { parseGoDuration } from "./go-duration.ts";
import { objectMeta } from "./object-meta.ts";
import { parsePortRange } from "./validation-options.ts";

const mapSize = z
  .int()
  .min(1)
  .max(1 << 28);

const conntrackTimeout = z.string().check((ctx) => {
  if (ctx.value === "Auto" || parseGoDuration(ctx.value) !== undefined) return;
  ctx.issues.push({
    code: "custom",
    message: `invalid timeout ${JSON.stringify(ctx.value)}: expected a duration ("60s", "1h") or "Auto"`,
    input: ctx.value,
  });
});

const portRangeText = z.union([portNumber, z.string()]).check((ctx) => {
  if (typeof ctx.value === "number" || parsePortRange(ctx.value) !== undefined) return;
  ctx.issues.push({
    code: "custom",
    message: `invalid port range ${JSON.stringify(ctx.value)}: expected "<min>:<max>"`,
    input: ctx.value,
  });
});

/** protoPort is Calico's ProtoPort: a failsafe port, optionally limited to a source/dest network. */
const protoPort = z.strictObject({
  protocol: calicoEnum(["TCP", "UDP", "SCTP"]).optional(),
  port: portNumber,
  net: z.union([z.literal(""), cidr]).optional(),
});

/** flowLogsAggregationKind is Calico's flow log aggregation level (flowlogs/aggregation-level.ts). */
const flowLogsAggregationKind = z.int().check((ctx) => {
  if (ctx.value >= 0 && ctx.value <= 3) return;
  ctx.issues.push({
    code: "custom",
    message: `invalid aggregation level ${ctx.value}: must be 0 (none), 1 (source port), 2 (pod prefix) or 3 (pod prefix, no destination port)`,
    input: ctx.value,
  });
});

/** absolutePath is a directory the agent writes to: an absolute path. */
const absolutePath = z.string().check((ctx) => {
  if (ctx.value.startsWith("/") && !ctx.value.includes("\0")) return;
  ctx.issues.push({
    code: "custom",
    message: `invalid directory ${JSON.stringify(ctx.value)}: must be an absolute path`,
    input: ctx.value,
  });
});

/** felixSpecFields are the fields Sluice acts on, with Calico's types and ranges. */
const felixSpecFields = {
  bpfEnabled: z.boolean(),
  bpfDisableUnprivileged: z.boolean(),
  bpfExternalServiceMode: calicoEnum(["Tunnel", "DSR"]),
  bpfDSROptoutCIDRs: z.array(cidr),
  bpfKubeProxyIptablesCleanupEnabled: z.boolean(),
  bpfKubeProxyMinSyncPeriod: duration,
  bpfKubeProxyHealthzPort: optionalPortNumber,
  bpfConnectTimeLoadBalancingEnabled: z.boolean(),
  bpfConnectTimeLoadBalancing: calicoEnum(["TCP", "Enabled", "Disabled"]),
  bpfHostNetworkedNATWithoutCTLB: calicoEnum(["Enabled", "Disabled"]),
  bpfDataIfacePattern: regexPattern,
  bpfL3IfacePattern: regexPattern,
  bpfLogLevel: calicoEnum(["Off", "Info", "Debug"]),
  bpfMapSizeConntrack: mapSize,
  // Calico: "Disabled" or "DoubleIfFull" (case-insensitive); empty means the default.
  bpfMapSizeConntrackScaling: calicoEnum(["Disabled", "DoubleIfFull"]),
  bpfMapSizeNATFrontend: mapSize,
  bpfMapSizeNATBackend: mapSize,
  bpfMapSizeNATAffinity: mapSize,
  bpfMapSizeRoute: mapSize,
  bpfMapSizeIPSets: mapSize,
  bpfMapSizeIfState: mapSize,
  // MiB of the ring buffer that carries flow and Log events to the agent (sl_pol_events).
  bpfExportBufferSizeMB: z.int().min(1).max(1024),
  bpfConntrackTimeouts: z.strictObject({
    creationGracePeriod: conntrackTimeout.optional(),
    tcpSynSent: conntrackTimeout.optional(),
    tcpEstablished: conntrackTimeout.optional(),
    tcpFinsSeen: conntrackTimeout.optional(),
    tcpResetSeen: conntrackTimeout.optional(),
    udpTimeout: conntrackTimeout.optional(),
    genericTimeout: conntrackTimeout.optional(),
    icmpTimeout: conntrackTimeout.optional(),
  }),
  bpfEnforceRPF: calicoEnum(["Disabled", "Strict", "Loose"]),
  bpfPSNATPorts: portRangeText,
  bpfExcludeCIDRsFromNAT: z.array(cidr),
  bpfHostConntrackBypass: z.boolean(),
  bpfRedirectToPeer: calicoEnum(["Disabled", "Enabled", "L2Only"]),
  bpfAttachType: calicoEnum(["TCX", "TC"]),
  vxlanEnabled: z.boolean(),
  vxlanMTU: z.int().min(0).max(65535),
  vxlanMTUV6: z.int().min(0).max(65535),
  vxlanPort: portNumber,
  // VNI is 24 bits on the wire.
  vxlanVNI: z.int().min(1).max(0xffffff),
  failsafeInboundHostPorts: z.array(protoPort),
  failsafeOutboundHostPorts: z.array(protoPort),
  kubeNodePortRanges: z.array(portRangeText),
  healthEnabled: z.boolean(),
  healthHost: z.string(),
  healthPort: optionalPortNumber,
  prometheusMetricsEnabled: z.boolean(),
  prometheusMetricsHost: z.string(),
  prometheusMetricsPort: optionalPortNumber,
  flowLogsFlushInterval: duration,
  flowLogsFileEnabled: z.boolean(),
  flowLogsFileDirectory: absolutePath,
  flowLogsFileMaxFiles: z.int().min(1).max(1000),
  flowLogsFileMaxFileSizeMB: z
    .int()
    .min(1)
    .max(1 << 20),
  flowLogsFileAggregationKindForAllowed: flowLogsAggregationKind,
  flowLogsFileAggregationKindForDenied: flowLogsAggregationKind,
  flowLogsFileIncludeLabels: z.boolean(),
  flowLogsFileIncludePolicies: z.boolean(),
  flowLogsFileIncludeService: z.boolean(),
  // DNS policy: whose answers are learned, and how long past their TTL they are kept.
  dnsTrustedServers: z.array(checkedString(dnsTrustedServerProblem)),
  dnsExtraTTL: duration,
} as const;

type Optionalized<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.ZodOptional<T[K]> };

function optionalAll<T extends Record<string, z.ZodType>>(fields: T): Optionalized<T> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as Optionalized<T>;
}

const otherFields = Object.fromEntries(FELIX_OTHER_FIELDS.map((k) => [k, z.unknown().optional()])) as Record<
  (typeof FELIX_OTHER_FIELDS)[number],
  z.ZodOptional<z.ZodUnknown>
>;

const felixSpec = z.strictObject({ ...otherFields, ...optionalAll(felixSpecFields) });

/** felixConfigurationSchema validates a FelixConfiguration (`default` or `node.<nodename>`). */
export function felixConfigurationSchema() {
  return z.strictObject({
    apiVersion: z.literal("projectcalico.org/v3"),
    kind: z.literal("FelixConfiguration"),
    metadata: objectMeta({ namespaced: false }),
    spec: felixSpec.default({}),
  });
}

/** FelixConfiguration is a validated projectcalico.org/v3 FelixConfiguration, as stored. */
export type FelixConfiguration = z.output<ReturnType<typeof felixConfigurationSchema>>;

/** FelixConfigurationSpec is the spec of a FelixConfiguration: only the fields the user set. */
export type FelixConfigurationSpec = FelixConfiguration["spec"];
