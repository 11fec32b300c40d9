/**
 * NetworkPolicy (networking.k8s.io/v1), validated as the API server does: a peer is exactly one
 * of ipBlock or pod/namespace selectors; an ipBlock's `except` entries lie strictly inside its
 * `cidr`; `endPort` needs a numeric `port` no greater than it; protocols are TCP, UDP, SCTP
 * (default TCP). `policyTypes` is filled in when absent — Ingress always, Egress when there are
 * egress rules — as the API server does. Empty and missing lists keep their difference
 * (`ingress: []` has no rules, a rule without `from` allows every source).
 */
import { z } from "zod";
import { cidr, intOrString, protocol } from "./field-schemas.ts";
import { cidrFamilyOf } from "./ip-address.ts";
import { labelSelector } from "./label-selector.ts";
import { objectMeta } from "./object-meta.ts";
import { defaultPolicyTypes, policyTypes } from "./policy-fields.ts";
import { cidrContains } from "./cidr-contains.ts";

const ipBlock = z.strictObject({ cidr, except: z.array(cidr).optional() }).check((ctx) => {
  const { cidr: outer, except } = ctx.value;
  (except ?? []).forEach((inner, i) => {
    if (
      cidrFamilyOf(inner) !== cidrFamilyOf(outer) ||
      !cidrContains(outer, inner) ||
      Number(inner.split("/")[1]) <= Number(outer.split("/")[1])
    ) {
      ctx.issues.push({
        code: "custom",
        message: `${JSON.stringify(inner)} must be a strict subset of cidr ${JSON.stringify(outer)}`,
        input: inner,
        path: ["except", i],
      });
    }
  });
});

const peer = z
  .strictObject({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: ipBlock.optional(),
  })
  .check((ctx) => {
    const { podSelector, namespaceSelector, ipBlock: block } = ctx.value;
    if (block !== undefined && (podSelector !== undefined || namespaceSelector !== undefined)) {
      ctx.issues.push({
        code: "custom",
        message: "ipBlock cannot be combined with podSelector or namespaceSelector",
        input: ctx.value,
        path: ["ipBlock"],
      });
    }
    if (block === undefined && podSelector === undefined && namespaceSelector === undefined) {
      ctx.issues.push({
        code: "custom",
        message: "a peer needs podSelector, namespaceSelector or ipBlock",
        input: ctx.value,
        path: [],
      });
    }
  });

const port = z
  .strictObject({
    protocol: protocol.default("TCP"),
    port: intOrString.optional(),
    endPort: z.int().min(1).max(65535).optional(),
  })
  .check((ctx) => {
    const { port: p, endPort } = ctx.value;
    if (endPort === undefined) return;
    if (typeof p !== "number") {
      ctx.issues.push({
        code: "custom",
        message:
          p === undefined ? "endPort needs port" : `endPort needs a numeric port, got ${JSON.stringify(p)}`,
        input: endPort,
        path: ["endPort"],
      });
    } else if (endPort < p) {
      ctx.issues.push({
        code: "custom",
        message: `must be at least port ${p}, got ${endPort}`,
        input: endPort,
        path: ["endPort"],
      });
    }
  });

/** networkPolicySchema validates a networking.k8s.io/v1 NetworkPolicy. */
export function networkPolicySchema() {
  return z
    .looseObject({
      apiVersion: z.literal("networking.k8s.io/v1"),
      kind: z.literal("NetworkPolicy"),
      metadata: objectMeta({ namespaced: true }),
      spec: z.strictObject({
        podSelector: labelSelector,
        ingress: z
          .array(z.strictObject({ from: z.array(peer).optional(), ports: z.array(port).optional() }))
          .optional(),
        egress: z
          .array(z.strictObject({ to: z.array(peer).optional(), ports: z.array(port).optional() }))
          .optional(),
        policyTypes: policyTypes.optional(),
      }),
    })
    .transform((np) => {
      const given = np.spec.policyTypes;
      const policyTypesOut =
        given !== undefined && given.length > 0
          ? given
          : defaultPolicyTypes(false, (np.spec.egress?.length ?? 0) > 0, true);
      return { ...np, spec: { ...np.spec, policyTypes: policyTypesOut } };
    });
}

/** NetworkPolicy is a validated Kubernetes NetworkPolicy, `policyTypes` filled in. */
export type NetworkPolicy = z.output<ReturnType<typeof networkPolicySchema>>;

/** NetworkPolicyPeer is one `from`/`to` entry. */
export type NetworkPolicyPeer = z.output<typeof peer>;

/** NetworkPolicyPort is one `ports` entry. */
export type NetworkPolicyPort = z.output<typeof port>;
