/**
 * compareInShape: an in-shape validator (src/model/*-in-shape paths) against the zod schema it
 * stands in for, over generated manifests. Whenever the in-shape path returns a resource, the
 * schema must accept the same input and print the same JSON (key order included), and `shared`
 * may name an object the two results must hold as one (a shared list, shared conditions).
 */
import type { z } from "zod";
import { prng } from "./random-services.ts";

/** InShapeOutcome: what disagreed, how often the in-shape path answered, how often the schema refused. */
export interface InShapeOutcome {
  readonly disagreements: string[];
  readonly inShape: number;
  readonly rejected: number;
}

/** InShapeComparison: the generator, the schema and the in-shape path under test. */
export interface InShapeComparison<T> {
  readonly cases: number;
  readonly seed: number;
  readonly generate: (rand: () => number) => Record<string, unknown>;
  readonly schema: z.ZodType<T>;
  readonly inShape: (raw: Record<string, unknown>) => T | undefined;
  /** Why two equal results are not the same where they must share an object, if they are not. */
  readonly shared?: (inShape: T, bySchema: T) => string | undefined;
}

/** compareInShape runs each generated manifest (a fresh copy each way) through both paths. */
export function compareInShape<T>(c: InShapeComparison<T>): InShapeOutcome {
  const rand = prng(c.seed);
  const disagreements: string[] = [];
  let hits = 0;
  let rejected = 0;
  for (let i = 0; i < c.cases; i++) {
    const raw = c.generate(rand);
    const text = JSON.stringify(raw);
    const bySchema = c.schema.safeParse(structuredClone(raw));
    if (!bySchema.success) rejected++;
    let fast;
    try {
      fast = c.inShape(structuredClone(raw));
    } catch (err) {
      disagreements.push(`case ${i}: throws ${String(err)} on ${text}`);
      continue;
    }
    if (fast === undefined) continue;
    hits++;
    if (!bySchema.success) disagreements.push(`case ${i}: in shape, but the schema rejects ${text}`);
    else if (JSON.stringify(fast) !== JSON.stringify(bySchema.data))
      disagreements.push(
        `case ${i}: ${JSON.stringify(fast)} vs the schema's ${JSON.stringify(bySchema.data)}`,
      );
    else {
      const notShared = c.shared?.(fast, bySchema.data);
      if (notShared !== undefined) disagreements.push(`case ${i}: ${notShared}`);
    }
  }
  return { disagreements, inShape: hits, rejected };
}
