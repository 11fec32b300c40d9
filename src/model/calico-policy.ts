/**
 * Calico v3 GlobalNetworkPolicy and NetworkPolicy (namespaced). Calico's rules apply: the name
 * of a policy in tier T (other than `default`) is `T.<name>`; `preDNAT` and `doNotTrack` exist
 * only on GlobalNetworkPolicy, need `applyOnForward: true` and exclude each other; a preDNAT
 * policy has no egress; rules of a direction need that direction in `types`. `types` is filled
 * in when absent (Ingress unless only egress rules, Egress when egress rules exist), as Calico's
 * API server does, so `get -o yaml` shows what is enforced.
 */
import { z } from "zod";
import { calicoRule } from "./calico-rule.ts";
import { objectMeta } from "./object-meta.ts";
import { defaultPolicyTypes, policyOrder, policyTypes, selector } from "./policy-fields.ts";

/** DEFAULT_TIER is the tier of a policy that names none. */
export const DEFAULT_TIER = "default";

/** KNP_PREFIX starts the Calico name of a Kubernetes NetworkPolicy; Calico reserves it. */
export const KNP_PREFIX = "knp.default.";

const commonSpecFields = {
  tier: z.string().min(1).default(DEFAULT_TIER),
  order: policyOrder.optional(),
  selector: selector.optional(),
  serviceAccountSelector: selector.optional(),
  types: policyTypes.optional(),
  ingress: z.array(calicoRule).optional(),
  egress: z.array(calicoRule).optional(),
  performanceHints: z.array(z.enum(["AssumeNeededOnEveryNode"])).optional(),
};

const globalSpecFields = {
  ...commonSpecFields,
  namespaceSelector: selector.optional(),
  doNotTrack: z.boolean().optional(),
  preDNAT: z.boolean().optional(),
  applyOnForward: z.boolean().optional(),
};

type SpecIn = {
  tier: string;
  types?: Array<"Ingress" | "Egress"> | undefined;
  ingress?: unknown[] | undefined;
  egress?: unknown[] | undefined;
  doNotTrack?: boolean | undefined;
  preDNAT?: boolean | undefined;
  applyOnForward?: boolean | undefined;
};

function checkPolicy(
  value: { metadata: { name: string }; spec: SpecIn },
  issues: z.core.$ZodRawIssue[],
): void {
  const { metadata, spec } = value;
  const push = (path: PropertyKey[], message: string): void => {
    issues.push({ code: "custom", message, input: value, path });
  };
  if (spec.tier !== DEFAULT_TIER && !metadata.name.startsWith(`${spec.tier}.`)) {
    push(
      ["metadata", "name"],
      `a policy in tier ${JSON.stringify(spec.tier)} must be named "${spec.tier}.<name>", got ${JSON.stringify(metadata.name)}`,
    );
  }
  if (metadata.name.startsWith(KNP_PREFIX))
    push(
      ["metadata", "name"],
      `the prefix ${JSON.stringify(KNP_PREFIX)} is reserved for Kubernetes NetworkPolicies`,
    );
  if (spec.preDNAT && spec.doNotTrack)
    push(["spec", "preDNAT"], "preDNAT and doNotTrack cannot both be true");
  if ((spec.preDNAT || spec.doNotTrack) && !spec.applyOnForward) {
    push(["spec", "applyOnForward"], `must be true when ${spec.preDNAT ? "preDNAT" : "doNotTrack"} is true`);
  }
  if (spec.preDNAT && (spec.egress?.length ?? 0) > 0)
    push(["spec", "egress"], "a preDNAT policy cannot have egress rules");
  if (spec.preDNAT && spec.types?.includes("Egress"))
    push(["spec", "types"], 'a preDNAT policy cannot have type "Egress"');
  (spec.ingress ?? []).forEach((r, i) => {
    const domains = (r as { destination?: { domains?: unknown[] } } | undefined)?.destination?.domains;
    if ((domains?.length ?? 0) > 0)
      push(
        ["spec", "ingress", i, "destination", "domains"],
        "domains apply to egress rules only (Calico's DNS policy)",
      );
  });
  if (spec.types !== undefined && spec.types.length > 0) {
    if ((spec.ingress?.length ?? 0) > 0 && !spec.types.includes("Ingress"))
      push(["spec", "ingress"], 'ingress rules need "Ingress" in types');
    if ((spec.egress?.length ?? 0) > 0 && !spec.types.includes("Egress"))
      push(["spec", "egress"], 'egress rules need "Egress" in types');
  }
}

function typesOf(spec: SpecIn): Array<"Ingress" | "Egress"> {
  return spec.types !== undefined && spec.types.length > 0
    ? spec.types
    : defaultPolicyTypes((spec.ingress?.length ?? 0) > 0, (spec.egress?.length ?? 0) > 0, false);
}

/** globalNetworkPolicySchema validates a projectcalico.org/v3 GlobalNetworkPolicy. */
export function globalNetworkPolicySchema() {
  return z
    .strictObject({
      apiVersion: z.literal("projectcalico.org/v3"),
      kind: z.literal("GlobalNetworkPolicy"),
      metadata: objectMeta({ namespaced: false }),
      spec: z.strictObject(globalSpecFields).default({ tier: DEFAULT_TIER }),
    })
    .check((ctx) => checkPolicy(ctx.value, ctx.issues))
    .transform((p) => ({ ...p, spec: { ...p.spec, types: typesOf(p.spec) } }));
}

/** networkPolicySchema validates a projectcalico.org/v3 NetworkPolicy (namespaced). */
export function calicoNetworkPolicySchema() {
  return z
    .strictObject({
      apiVersion: z.literal("projectcalico.org/v3"),
      kind: z.literal("NetworkPolicy"),
      metadata: objectMeta({ namespaced: true }),
      spec: z.strictObject(commonSpecFields).default({ tier: DEFAULT_TIER }),
    })
    .check((ctx) => checkPolicy(ctx.value, ctx.issues))
    .transform((p) => ({ ...p, spec: { ...p.spec, types: typesOf(p.spec) } }));
}

/** GlobalNetworkPolicy is a validated GlobalNetworkPolicy, `types` filled in. */
export type GlobalNetworkPolicy = z.output<ReturnType<typeof globalNetworkPolicySchema>>;

/** CalicoNetworkPolicy is a validated projectcalico.org/v3 NetworkPolicy, `types` filled in. */
export type CalicoNetworkPolicy = z.output<ReturnType<typeof calicoNetworkPolicySchema>>;
