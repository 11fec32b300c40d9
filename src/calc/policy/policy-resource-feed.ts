/**
 * PolicyResourceFeed feeds a PolicyCalculator from a snapshot source (the agent's ClusterCache)
 * incrementally: each pass hands the calculator only the resources that changed since the last
 * pass — a resource is unchanged when the source returns the same object (the cache replaces an
 * object on every event) or, for a re-delivered copy, the same uid and resourceVersion — and the
 * deletions. Nothing is recomputed for what did not change, so a pass over 10k pods with one
 * label edit is one calculator upsert. Pure.
 */
import type { Resource } from "../../model/resource.ts";
import { mergePolicyDeltas, type PolicyCalculator, type PolicyDelta } from "./policy-calculator.ts";

/** PolicyResourceSource is what the feed reads (ClusterCache has this shape). */
export interface PolicyResourceSource {
  /** Grows on every change; an unchanged generation means nothing to read. */
  readonly generation: number;
  list(kind: PolicyResourceKind): readonly Resource[];
  /**
   * Optional: grows whenever a resource of `kind` changes (ClusterCache.generationOf). With it, a
   * pass skips the kinds that did not change — a Service edit no longer walks 10k pods.
   */
  generationOf?(kind: PolicyResourceKind): number;
}

/**
 * POLICY_RESOURCE_KINDS in the order they are fed: what others refer to first (namespace
 * labels, tiers, then the endpoints and sets), policies last, so a first pass does not build
 * programs against half the state. Deletions go in the reverse order.
 */
export const POLICY_RESOURCE_KINDS = [
  "Namespace",
  "Tier",
  "GlobalNetworkSet",
  "NetworkSet",
  "HostEndpoint",
  "Pod",
  "GlobalNetworkPolicy",
  "NetworkPolicy",
] as const satisfies readonly Resource["kind"][];

export type PolicyResourceKind = (typeof POLICY_RESOURCE_KINDS)[number];

function identity(r: Resource): string {
  const ns = (r.metadata as { namespace?: string }).namespace ?? "";
  return `${r.kind}|${r.apiVersion}|${ns}|${r.metadata.name}`;
}

function sameVersion(a: Resource, b: Resource): boolean {
  const ma = a.metadata as { uid?: string; resourceVersion?: string };
  const mb = b.metadata as { uid?: string; resourceVersion?: string };
  return ma.resourceVersion !== undefined && ma.resourceVersion === mb.resourceVersion && ma.uid === mb.uid;
}

/** FeedPass says what one pass fed. */
export interface FeedPass {
  readonly delta: PolicyDelta;
  readonly upserts: number;
  readonly removals: number;
  /** Resources the calculator refused (e.g. a selector it cannot parse): "Kind ns/name: reason". */
  readonly errors: readonly string[];
}

/** PolicyResourceFeed remembers what it fed last and feeds the difference. */
export class PolicyResourceFeed {
  readonly #fed = new Map<string, Resource>();
  #generation: number | undefined;
  /** Per kind, the source's generationOf(kind) when that kind was last fed without errors. */
  readonly #kindGeneration = new Map<PolicyResourceKind, number>();

  constructor(readonly calc: PolicyCalculator) {}

  /** pass feeds what changed in `source` since the last pass. */
  pass(source: PolicyResourceSource): FeedPass {
    if (this.#generation === source.generation)
      return { delta: mergePolicyDeltas([]), upserts: 0, removals: 0, errors: [] };
    this.#generation = source.generation;
    const deltas: PolicyDelta[] = [];
    const seen = new Set<string>();
    const errors: string[] = [];
    let upserts = 0;
    const listed = new Set<string>();
    for (const kind of POLICY_RESOURCE_KINDS) {
      const kindGeneration = source.generationOf?.(kind);
      if (kindGeneration !== undefined && this.#kindGeneration.get(kind) === kindGeneration) continue;
      listed.add(kind);
      const errorsBefore = errors.length;
      for (const r of source.list(kind)) {
        const id = identity(r);
        seen.add(id);
        const before = this.#fed.get(id);
        if (before === r || (before !== undefined && sameVersion(before, r))) continue;
        try {
          deltas.push(this.calc.upsert(r));
          this.#fed.set(id, r);
          upserts++;
        } catch (e) {
          // Not recorded as fed: the next change to the source retries it.
          errors.push(
            `${r.kind} ${id.split("|").slice(2).filter(Boolean).join("/")}: ${(e as Error).message}`,
          );
        }
      }
      // A kind with a refused resource is listed again on the next pass (the retry above).
      if (kindGeneration !== undefined && errors.length === errorsBefore)
        this.#kindGeneration.set(kind, kindGeneration);
      else this.#kindGeneration.delete(kind);
    }
    // Only a listed kind can have lost resources; a skipped kind is as it was fed.
    const gone = [...this.#fed].filter(([id, r]) => listed.has(r.kind) && !seen.has(id));
    const rank = (r: Resource): number => POLICY_RESOURCE_KINDS.indexOf(r.kind as PolicyResourceKind);
    gone.sort(([, a], [, b]) => rank(b) - rank(a));
    for (const [id, r] of gone) {
      deltas.push(this.calc.remove(r));
      this.#fed.delete(id);
    }
    return { delta: mergePolicyDeltas(deltas), upserts, removals: gone.length, errors };
  }
}
