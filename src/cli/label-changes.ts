/**
 * planLabelChanges: kubectl label's rules, pure. Arguments are `k=v` (set) or `k-` (remove);
 * changing an existing value needs --overwrite (kubectl's error: `'k' already has a value (v),
 * and --overwrite is false`); removing an absent label is reported, not an error. The result is
 * a JSON merge patch of metadata.labels and kubectl's verdict word.
 */
import { labelKeyProblem, labelValueProblem } from "../model/dns-name.ts";

/** LabelPlan is what `label` will write and say. */
export interface LabelPlan {
  /** RFC 7386 patch: `{metadata: {labels: {k: v, gone: null}}}`. */
  readonly patch: { readonly metadata: { readonly labels: Readonly<Record<string, string | null>> } };
  /** "labeled", "unlabeled" or "not labeled", as kubectl prints after the resource. */
  readonly verdict: "labeled" | "unlabeled" | "not labeled";
  /** Notes kubectl prints first (`label "x" not found.`). */
  readonly notes: readonly string[];
}

/** planLabelChanges computes the change of `current` labels that `args` ask for; throws kubectl's errors. */
export function planLabelChanges(
  current: Readonly<Record<string, string>>,
  args: readonly string[],
  overwrite: boolean,
): LabelPlan {
  if (args.length === 0) throw new Error("label: at least one label update is required (k=v or k-)");
  const set = new Map<string, string>();
  const remove = new Set<string>();
  for (const arg of args) {
    if (arg.endsWith("-") && !arg.includes("=")) {
      const key = arg.slice(0, -1);
      if (labelKeyProblem(key) !== undefined) throw new Error(`label: invalid label spec: ${arg}`);
      remove.add(key);
      continue;
    }
    const eq = arg.indexOf("=");
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (
      eq < 0 ||
      value.includes("=") ||
      labelKeyProblem(key) !== undefined ||
      labelValueProblem(value) !== undefined
    ) {
      throw new Error(`label: invalid label spec: ${arg}`);
    }
    set.set(key, value);
  }
  for (const key of set.keys())
    if (remove.has(key))
      throw new Error(`label: can not both modify and remove a label in the same command: ${key}`);
  if (!overwrite) {
    for (const [key, value] of set) {
      const existing = current[key];
      if (existing !== undefined && existing !== value)
        throw new Error(`label: '${key}' already has a value (${existing}), and --overwrite is false`);
    }
  }
  const notes = [...remove]
    .filter((k) => !Object.hasOwn(current, k))
    .map((k) => `label ${JSON.stringify(k)} not found.`);
  const labels: Record<string, string | null> = {};
  for (const [k, v] of set) if (current[k] !== v) labels[k] = v;
  for (const k of remove) if (Object.hasOwn(current, k)) labels[k] = null;
  const changed = Object.keys(labels).length > 0;
  const onlyRemovals = changed && Object.values(labels).every((v) => v === null);
  return {
    patch: { metadata: { labels } },
    verdict: !changed ? "not labeled" : onlyRemovals ? "unlabeled" : "labeled",
    notes,
  };
}
