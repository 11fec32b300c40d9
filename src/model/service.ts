/**
 * Service (core/v1): the schema, its cross-field rules, and the defaults the API server would
 * fill in (type ClusterIP, protocol TCP, targetPort = port, traffic policies Cluster, affinity
 * timeout 10800 s), so the proxy reads one fully-defaulted shape.
 */
import { z } from "zod";
import { ipFamilyOf } from "./ip-address.ts";
import {
  checkedString,
  cidr,
  dnsLabel,
  dnsSubdomain,
  intOrString,
  ipAddress,
  labelMap,
  optionalPortNumber,
  portNumber,
  protocol,
} from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";
import { sharedRecords } from "./shared-values.ts";
import { defaultNodePortRange, type ValidationOptions } from "./validation-options.ts";

// targetPort defaults to port in the Service's transform, in place: a transform per port made a
// copy of each and kept zod off its compiled path for the list (~5 µs of ~15 µs per Service).
const servicePort = z.strictObject({
  name: dnsLabel.optional(),
  protocol: protocol.default("TCP"),
  appProtocol: z.string().optional(),
  port: portNumber,
  targetPort: intOrString.optional(),
  nodePort: optionalPortNumber.optional(),
});

/** A port as the proxy reads it: targetPort defaulted to port, as the API server does. */
type DefaultedPort = z.output<typeof servicePort> & { targetPort: number | string };

/** clusterIpProblem: "None" makes a headless Service; "" asks for an address to be allocated. */
export function clusterIpProblem(v: string): string | undefined {
  return v === "None" || v === "" || ipFamilyOf(v) !== undefined
    ? undefined
    : `invalid IP address ${JSON.stringify(v)} (or "None" for a headless Service)`;
}

const clusterIp = checkedString(clusterIpProblem);

const serviceSpec = z.strictObject({
  type: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]).default("ClusterIP"),
  ports: z.array(servicePort).default([]),
  selector: labelMap.optional(),
  clusterIP: clusterIp.optional(),
  clusterIPs: z.array(clusterIp).max(2).optional(),
  externalIPs: z.array(ipAddress).optional(),
  externalName: dnsSubdomain.optional(),
  loadBalancerIP: ipAddress.optional(),
  loadBalancerSourceRanges: z.array(cidr).optional(),
  loadBalancerClass: z.string().optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  sessionAffinity: z.enum(["None", "ClientIP"]).default("None"),
  sessionAffinityConfig: z
    .strictObject({
      clientIP: z.strictObject({ timeoutSeconds: z.int().min(1).max(86400).default(10800) }).optional(),
    })
    .optional(),
  externalTrafficPolicy: z.enum(["Cluster", "Local"]).default("Cluster"),
  internalTrafficPolicy: z.enum(["Cluster", "Local"]).default("Cluster"),
  healthCheckNodePort: optionalPortNumber.optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  ipFamilies: z
    .array(z.enum(["IPv4", "IPv6"]))
    .max(2)
    .optional(),
  ipFamilyPolicy: z.enum(["SingleStack", "PreferDualStack", "RequireDualStack"]).optional(),
  trafficDistribution: z.string().optional(),
});

const serviceStatus = z.looseObject({
  loadBalancer: z
    .looseObject({
      ingress: z
        .array(
          z.looseObject({
            ip: ipAddress.optional(),
            hostname: dnsSubdomain.optional(),
            ipMode: z.enum(["VIP", "Proxy"]).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

type Spec = z.output<typeof serviceSpec>;

/** serviceSpecProblems lists cross-field violations as [path, reason], the API server's rules. */
export function serviceSpecProblems(spec: Spec, options: ValidationOptions): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const range = options.nodePortRange ?? defaultNodePortRange;
  const headless = spec.clusterIP === "None";
  if (spec.type === "ExternalName") {
    if (spec.externalName === undefined) out.push([["externalName"], 'required when type is "ExternalName"']);
  } else if (spec.ports.length === 0 && !headless) {
    out.push([["ports"], "at least one port is required"]);
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  spec.ports.forEach((p, i) => {
    if (spec.ports.length > 1 && p.name === undefined)
      out.push([["ports", i, "name"], "required when the Service has more than one port"]);
    if (p.name !== undefined) {
      if (names.has(p.name))
        out.push([["ports", i, "name"], `duplicate port name ${JSON.stringify(p.name)}`]);
      names.add(p.name);
    }
    const id = `${p.protocol}/${p.port}`;
    if (seen.has(id)) out.push([["ports", i, "port"], `duplicate port ${p.port}/${p.protocol}`]);
    seen.add(id);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
        out.push([["ports", i, "nodePort"], `may not be set when type is ${JSON.stringify(spec.type)}`]);
      } else if (p.nodePort < range.min || p.nodePort > range.max) {
        out.push([
          ["ports", i, "nodePort"],
          `must be in the node port range ${range.min}-${range.max}, got ${p.nodePort}`,
        ]);
      }
    }
  });
  if (
    spec.clusterIP !== undefined &&
    spec.clusterIPs?.[0] !== undefined &&
    spec.clusterIPs[0] !== spec.clusterIP
  ) {
    out.push([["clusterIPs", 0], `must equal clusterIP ${JSON.stringify(spec.clusterIP)}`]);
  }
  const families = (spec.clusterIPs ?? [])
    .filter((ip) => ip !== "None" && ip !== "")
    .map((ip) => ipFamilyOf(ip));
  if (families.length === 2 && families[0] === families[1])
    out.push([["clusterIPs"], "two addresses must be of different families"]);
  if (spec.ipFamilies?.length === 2 && spec.ipFamilies[0] === spec.ipFamilies[1])
    out.push([["ipFamilies"], "two entries must be of different families"]);
  if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinity !== "ClientIP") {
    out.push([["sessionAffinityConfig"], 'may only be set when sessionAffinity is "ClientIP"']);
  }
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0) {
    if (spec.type !== "LoadBalancer" || spec.externalTrafficPolicy !== "Local") {
      out.push([
        ["healthCheckNodePort"],
        'may only be set for type "LoadBalancer" with externalTrafficPolicy "Local"',
      ]);
    }
  }
  if (spec.loadBalancerIP !== undefined && spec.type !== "LoadBalancer") {
    out.push([["loadBalancerIP"], 'may only be set when type is "LoadBalancer"']);
  }
  return out;
}

/** serviceSchema validates a Service; `options.nodePortRange` is the cluster's node port range. */
export function serviceSchema(options: ValidationOptions = {}) {
  return z
    .strictObject({
      apiVersion: z.literal("v1"),
      kind: z.literal("Service"),
      metadata: objectMeta({ namespaced: true, nameRule: "dns1035" }),
      spec: serviceSpec,
      status: serviceStatus.optional(),
    })
    .check((ctx) => {
      // Cross-field rules only make sense on a spec whose fields each parsed.
      if (ctx.issues.length > 0) return;
      for (const [path, message] of serviceSpecProblems(ctx.value.spec, options)) {
        ctx.issues.push({ code: "custom", message, path: ["spec", ...path], input: ctx.value });
      }
    })
    .transform((parsed) => {
      // The output's own objects: defaulting in place changes no caller's manifest.
      for (const p of parsed.spec.ports) p.targetPort ??= p.port;
      const svc = parsed as Omit<typeof parsed, "spec"> & {
        spec: Omit<typeof parsed.spec, "ports"> & { ports: DefaultedPort[] };
      };
      // The API server defaults the affinity timeout only when ClientIP affinity is on.
      if (svc.spec.sessionAffinity !== "ClientIP") return shareServiceParts(svc);
      const timeoutSeconds = svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800;
      return shareServiceParts({
        ...svc,
        spec: { ...svc.spec, sessionAffinityConfig: { clientIP: { timeoutSeconds } } },
      });
    });
}

/**
 * What Services have in common is held once (shared-values.ts): equal `ports` lists become one
 * frozen list (most Services of a cluster have one of a few), and `clusterIPs[0]` is the
 * `clusterIP` string it must equal, not a second copy. ~0.9 MB at 10,000 Services.
 */
export function shareServiceParts<
  S extends { spec: { ports: object[]; clusterIP?: string | undefined; clusterIPs?: string[] | undefined } },
>(svc: S): S {
  const spec = svc.spec;
  spec.ports = sharedRecords(spec.ports) as S["spec"]["ports"];
  if (Array.isArray(spec.clusterIPs) && spec.clusterIPs[0] === spec.clusterIP && spec.clusterIP !== undefined)
    spec.clusterIPs[0] = spec.clusterIP;
  return svc;
}

/** Service is a validated, defaulted core/v1 Service. */
export type Service = z.output<ReturnType<typeof serviceSchema>>;

/** ServicePort is one port of a Service, with protocol and targetPort defaulted. */
export type ServicePort = Service["spec"]["ports"][number];
