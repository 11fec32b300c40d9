/**
 * NetworkSet (namespaced) and GlobalNetworkSet (projectcalico.org/v3): labelled lists of CIDRs
 * that policy selectors pick up like endpoints, so "allow from these networks" is a label match.
 */
import { z } from "zod";
import { domainPatternProblem } from "./domain-pattern.ts";
import { checkedString, cidr } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

const networkSetSpec = z
  .strictObject({
    nets: z.array(cidr).optional(),
    /** DNS policy: an egress Allow rule selecting this set also allows what these names resolve to. */
    allowedEgressDomains: z.array(checkedString(domainPatternProblem)).optional(),
  })
  .default({});

/** networkSetSchema validates a namespaced NetworkSet. */
export function networkSetSchema() {
  return z.strictObject({
    apiVersion: z.literal("projectcalico.org/v3"),
    kind: z.literal("NetworkSet"),
    metadata: objectMeta({ namespaced: true }),
    spec: networkSetSpec,
  });
}

/** globalNetworkSetSchema validates a GlobalNetworkSet. */
export function globalNetworkSetSchema() {
  return z.strictObject({
    apiVersion: z.literal("projectcalico.org/v3"),
    kind: z.literal("GlobalNetworkSet"),
    metadata: objectMeta({ namespaced: false }),
    spec: networkSetSpec,
  });
}

/** NetworkSet is a validated NetworkSet. */
export type NetworkSet = z.output<ReturnType<typeof networkSetSchema>>;

/** GlobalNetworkSet is a validated GlobalNetworkSet. */
export type GlobalNetworkSet = z.output<ReturnType<typeof globalNetworkSetSchema>>;
