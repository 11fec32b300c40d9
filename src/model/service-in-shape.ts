/**
 * validateServiceInShape: the Service schema's result (service.ts), made without zod for a
 * Service whose fields are all valid and of the shapes manifests use. Defaults are filled in
 * and keys come out in the schema's order, so the resource prints the same however it was
 * validated (service-in-shape.test.ts holds the two paths to that over generated Services).
 * Undefined for anything else — a bad value, a status, a sessionAffinityConfig, a rule across
 * fields broken — and then the schema validates the whole Service and words the error.
 *
 * Why: zod's walk of a Service, and the copy it makes of every object in it, were ~1 s of a
 * 100k-Service first start's 13.6 s and much of the garbage its collector copied
 * (bench/README.md, stop 32).
 */
import { dns1123LabelProblem, dns1123SubdomainProblem } from "./dns-name.ts";
import { ipAddressProblem, portNameProblem } from "./field-schemas.ts";
import { cidrProblem } from "./ip-address.ts";
import {
  anyString,
  bool,
  built,
  builtList,
  intIn,
  listOf,
  oneOf,
  OUT,
  stringOf,
  type Checked,
  type ShapeField,
} from "./in-shape-fields.ts";
import { labelsInShape, metaInShape } from "./object-meta-in-shape.ts";
import { objectNameProblem } from "./object-meta.ts";
import { clusterIpProblem, serviceSpecProblems, shareServiceParts, type Service } from "./service.ts";
import type { ValidationOptions } from "./validation-options.ts";

const ipAddress = stringOf(ipAddressProblem);
const clusterIp = stringOf(clusterIpProblem);
const portName = stringOf(portNameProblem);
const portNumber = intIn(1, 65535);
const serviceNameProblem = objectNameProblem("dns1035");

/** A port's fields in the schema's order (targetPort, when absent, is added last: the transform's default). */
const PORT_FIELDS: readonly ShapeField[] = [
  { key: "name", check: stringOf(dns1123LabelProblem) },
  { key: "protocol", check: oneOf("TCP", "UDP", "SCTP"), fallback: "TCP" },
  { key: "appProtocol", check: anyString },
  { key: "port", check: portNumber },
  { key: "targetPort", check: (v) => (portNumber(v) !== OUT ? v : portName(v)) },
  { key: "nodePort", check: intIn(0, 65535) },
];

/** portsInShape: the ports with defaults, as new objects in the schema's order, or OUT. */
function portsInShape(v: unknown): Checked {
  const ports = builtList(v, PORT_FIELDS);
  if (ports === OUT || ports.some((p) => !("port" in p))) return OUT;
  for (const p of ports) p["targetPort"] ??= p["port"];
  return ports;
}

/** The spec's fields in the schema's order. sessionAffinityConfig is left to the schema (its nested default). */
export const SERVICE_SPEC_FIELDS: readonly ShapeField[] = [
  {
    key: "type",
    check: oneOf("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
    fallback: "ClusterIP",
  },
  { key: "ports", check: portsInShape, fallback: [] },
  { key: "selector", check: (v) => (labelsInShape(v) ? v : OUT) },
  { key: "clusterIP", check: clusterIp },
  { key: "clusterIPs", check: listOf(clusterIp, 2) },
  { key: "externalIPs", check: listOf(ipAddress) },
  { key: "externalName", check: stringOf(dns1123SubdomainProblem) },
  { key: "loadBalancerIP", check: ipAddress },
  { key: "loadBalancerSourceRanges", check: listOf(stringOf(cidrProblem)) },
  { key: "loadBalancerClass", check: anyString },
  { key: "allocateLoadBalancerNodePorts", check: bool },
  { key: "sessionAffinity", check: oneOf("None", "ClientIP"), fallback: "None" },
  { key: "externalTrafficPolicy", check: oneOf("Cluster", "Local"), fallback: "Cluster" },
  { key: "internalTrafficPolicy", check: oneOf("Cluster", "Local"), fallback: "Cluster" },
  { key: "healthCheckNodePort", check: intIn(0, 65535) },
  { key: "publishNotReadyAddresses", check: bool },
  { key: "ipFamilies", check: listOf(oneOf("IPv4", "IPv6"), 2) },
  { key: "ipFamilyPolicy", check: oneOf("SingleStack", "PreferDualStack", "RequireDualStack") },
  { key: "trafficDistribution", check: anyString },
];

/**
 * validateServiceInShape validates `raw` (a parsed Service manifest, handed over: its label maps
 * and address lists become the resource's) as serviceSchema(options) would, or returns
 * undefined to leave it to the schema. `fields` is for tests (a checker broken on purpose).
 */
export function validateServiceInShape(
  raw: Record<string, unknown>,
  options: ValidationOptions = {},
  fields: readonly ShapeField[] = SERVICE_SPEC_FIELDS,
): Service | undefined {
  if (raw["apiVersion"] !== "v1" || raw["kind"] !== "Service") return undefined;
  for (const key in raw)
    if (key !== "apiVersion" && key !== "kind" && key !== "metadata" && key !== "spec") return undefined;
  const metadata = metaInShape(raw["metadata"], serviceNameProblem);
  if (metadata === undefined) return undefined;
  const spec = built(raw["spec"], fields);
  if (spec === OUT) return undefined;
  const svc = { apiVersion: "v1", kind: "Service", metadata, spec } as unknown as Service;
  if (serviceSpecProblems(svc.spec, options).length > 0) return undefined;
  // The schema's transform: ClientIP affinity gets its timeout's default (a config given is
  // left to the schema above), added after the other fields as its spread adds it.
  if (svc.spec.sessionAffinity === "ClientIP")
    (spec as { sessionAffinityConfig?: unknown }).sessionAffinityConfig = {
      clientIP: { timeoutSeconds: 10800 },
    };
  return shareServiceParts(svc);
}
