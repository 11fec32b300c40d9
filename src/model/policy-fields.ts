/**
 * The zod building blocks Calico's policy kinds share: selectors, protocols (names or numbers),
 * ports ("80", "8000:8080", named), ICMP matches, policy names and orders. Reasons quote the
 * value, as in field-schemas.ts.
 */
import { z } from "zod";
import { checkedString } from "./field-schemas.ts";
import { selectorProblem } from "./selector/parse-selector.ts";

/** selector is a Calico selector string that must parse. */
export const selector = checkedString(selectorProblem);

/** CALICO_PROTOCOL_NAMES are the protocol names Calico's numorstring.Protocol accepts. */
export const CALICO_PROTOCOL_NAMES = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"] as const;

/** CalicoProtocol is a protocol name (canonical spelling) or an IP protocol number 1-255. */
export type CalicoProtocol = (typeof CALICO_PROTOCOL_NAMES)[number] | number;

/** calicoProtocol accepts a name in any case (canonicalised) or a number 1-255. */
export const calicoProtocol = z.union([z.number(), z.string()]).transform((v, ctx): CalicoProtocol => {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 1 && v <= 255) return v;
    ctx.issues.push({ code: "custom", message: `invalid protocol ${v}: a number must be 1-255`, input: v });
    return z.NEVER;
  }
  const name = CALICO_PROTOCOL_NAMES.find((n) => n.toLowerCase() === v.toLowerCase());
  if (name !== undefined) return name;
  if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 255) return Number(v);
  ctx.issues.push({
    code: "custom",
    message: `invalid protocol ${JSON.stringify(v)}: expected one of ${CALICO_PROTOCOL_NAMES.join(", ")} or 1-255`,
    input: v,
  });
  return z.NEVER;
});

/** protocolHasPorts says whether Calico allows ports with this protocol (TCP, UDP, SCTP, UDPLite). */
export function protocolHasPorts(p: CalicoProtocol | undefined): boolean {
  return (
    p === "TCP" ||
    p === "UDP" ||
    p === "SCTP" ||
    p === "UDPLite" ||
    p === 6 ||
    p === 17 ||
    p === 132 ||
    p === 136
  );
}

/** CalicoPort is one entry of `ports`: a port range (a single port has min = max) or a named port. */
export type CalicoPort = { readonly min: number; readonly max: number } | { readonly name: string };

/** calicoPort accepts 80, "80", "8000:8080" (min <= max, 0-65535) or a port name. */
export const calicoPort = z.union([z.number(), z.string()]).transform((v, ctx): CalicoPort => {
  const bad = (why: string): never => {
    ctx.issues.push({ code: "custom", message: `invalid port ${JSON.stringify(v)}: ${why}`, input: v });
    return z.NEVER;
  };
  if (typeof v === "number")
    return Number.isInteger(v) && v >= 0 && v <= 65535 ? { min: v, max: v } : bad("must be 0-65535");
  const range = /^(\d+)(?::(\d+))?$/.exec(v);
  if (range !== null) {
    const min = Number(range[1]);
    const max = range[2] === undefined ? min : Number(range[2]);
    if (max > 65535) return bad("must be 0-65535");
    return min <= max ? { min, max } : bad("range start is above its end");
  }
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 15 && /[a-z]/.test(v)) return { name: v };
  return bad('expected a number, "<min>:<max>" or a port name');
});

/** icmpFields is Calico's ICMPFields: a type (0-254) and optionally a code (0-255, needs a type). */
export const icmpFields = z
  .strictObject({ type: z.int().min(0).max(254).optional(), code: z.int().min(0).max(255).optional() })
  .check((ctx) => {
    if (ctx.value.code !== undefined && ctx.value.type === undefined) {
      ctx.issues.push({
        code: "custom",
        message: "an ICMP code needs an ICMP type",
        input: ctx.value,
        path: ["code"],
      });
    }
  });

/** policyOrder is a policy's or tier's `order` (Calico: any float; lower goes first). */
export const policyOrder = z.number().check((ctx) => {
  if (!Number.isFinite(ctx.value))
    ctx.issues.push({ code: "custom", message: `invalid order ${ctx.value}`, input: ctx.value });
});

/** POLICY_TYPES are the directions a policy applies to. */
export const policyTypes = z.array(z.enum(["Ingress", "Egress"])).check((ctx) => {
  if (new Set(ctx.value).size !== ctx.value.length)
    ctx.issues.push({
      code: "custom",
      message: `must not repeat a type, got ${JSON.stringify(ctx.value)}`,
      input: ctx.value,
    });
});

/** PolicyType is one direction. */
export type PolicyType = "Ingress" | "Egress";

/**
 * defaultPolicyTypes is what Calico and Kubernetes fill in when `types`/`policyTypes` is absent:
 * Ingress unless the policy has only egress rules, Egress when it has egress rules.
 */
export function defaultPolicyTypes(
  hasIngressRules: boolean,
  hasEgressRules: boolean,
  ingressAlways: boolean,
): PolicyType[] {
  const out: PolicyType[] = [];
  if (ingressAlways || hasIngressRules || !hasEgressRules) out.push("Ingress");
  if (hasEgressRules) out.push("Egress");
  return out;
}
