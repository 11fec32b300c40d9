/**
 * The zod building blocks every resource schema shares: addresses, CIDRs, ports, DNS names,
 * label maps and Calico's case-insensitive enums. Each failure carries a reason that quotes the
 * offending value, so a ValidationError reads on its own.
 */
import { z } from "zod";
import { cidrProblem, ipFamilyOf } from "./ip-address.ts";
import { parseGoDuration } from "./go-duration.ts";
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
} from "./dns-name.ts";

/** checkedString is a string schema that fails with the reason `problem` returns for a bad value. */
export function checkedString(problem: (value: string) => string | undefined): z.ZodString {
  return z.string().check((ctx) => {
    const reason = problem(ctx.value);
    if (reason !== undefined) ctx.issues.push({ code: "custom", message: reason, input: ctx.value });
  });
}

/** ipAddressProblem explains why `v` is not an IPv4 or IPv6 address, or undefined when it is. */
export function ipAddressProblem(v: string): string | undefined {
  return ipFamilyOf(v) === undefined ? `invalid IP address ${JSON.stringify(v)}` : undefined;
}

/** ipAddress is an IPv4 or IPv6 address without prefix or zone. */
export const ipAddress = checkedString(ipAddressProblem);

/** cidr is an IPv4 or IPv6 network in prefix notation. */
export const cidr = checkedString(cidrProblem);

/** dnsLabel is a DNS-1123 label (namespaces, port names). */
export const dnsLabel = checkedString(dns1123LabelProblem);

/** dnsSubdomain is a DNS-1123 subdomain (most object names, hostnames). */
export const dnsSubdomain = checkedString(dns1123SubdomainProblem);

/** portNumber is a TCP/UDP/SCTP port, 1-65535. */
export const portNumber = z.int().min(1).max(65535);

/** optionalPortNumber is a port where 0 means "disabled", as Felix's int(0:65535) fields. */
export const optionalPortNumber = z.int().min(0).max(65535);

/** protocol is a Kubernetes Service/Pod port protocol. */
export const protocol = z.enum(["TCP", "UDP", "SCTP"]);

/** portNameProblem explains why `v` is not a named port (IANA_SVC_NAME), or undefined when it is. */
export function portNameProblem(v: string): string | undefined {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 15 && /[a-z]/.test(v) && !v.includes("--")
    ? undefined
    : `invalid port name ${JSON.stringify(v)}: at most 15 lowercase alphanumerics or "-", with a letter`;
}

/** portName is a named port (IANA_SVC_NAME): at most 15 lowercase alphanumerics or "-", with a letter. */
export const portName = checkedString(portNameProblem);

/** intOrString is a Kubernetes IntOrString: a port number or a named port (IANA_SVC_NAME). */
export const intOrString = z.union([portNumber, portName]);

/** labelMap is metadata.labels or a selector: validated keys and values. */
export const labelMap = z.record(
  checkedString(labelKeyProblem),
  z.string().check((ctx) => {
    const reason = labelValueProblem(ctx.value);
    if (reason !== undefined) ctx.issues.push({ code: "custom", message: reason, input: ctx.value });
  }),
);

/** stringMap is a free-form string map (annotations, ConfigMap data). */
export const stringMap = z.record(z.string(), z.string());

/**
 * calicoEnum accepts a Calico enum value in any case (Calico's CRDs validate with `(?i)`) and
 * yields the canonical spelling, so `dsr` and `DSR` mean the same thing downstream.
 */
export function calicoEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .check((ctx) => {
      if (!values.some((v) => v.toLowerCase() === ctx.value.toLowerCase())) {
        ctx.issues.push({
          code: "custom",
          message: `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(ctx.value)}`,
          input: ctx.value,
        });
      }
    })
    .transform((v) => values.find((c) => c.toLowerCase() === v.toLowerCase()) as T[number]);
}

/** duration is a Go/Kubernetes duration string ("1s", "1.5m", "1h30m"), as metav1.Duration. */
export const duration = checkedString((v) =>
  parseGoDuration(v) !== undefined
    ? undefined
    : `invalid duration ${JSON.stringify(v)}: expected e.g. "500ms", "1s", "1h30m"`,
);

/** regexPattern is a regular expression that must compile. */
export const regexPattern = checkedString((v) => {
  try {
    new RegExp(v);
    return undefined;
  } catch (err) {
    return `invalid regular expression ${JSON.stringify(v)}: ${(err as Error).message}`;
  }
});
