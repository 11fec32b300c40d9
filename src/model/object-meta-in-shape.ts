/**
 * metaInShape: the metadata schema's result (object-meta.ts) for a namespaced resource, made
 * without zod for metadata whose fields are all valid. The output is the schema's, key order
 * included: name, labels, annotations, namespace (defaulted to "default"), then any other field
 * as it came (the schema is loose: uid, resourceVersion and the like pass unchecked). Undefined
 * for anything else, and then the schema validates and words the error.
 */
import { dns1123LabelProblem, labelKeyProblem, labelValueProblem } from "./dns-name.ts";
import type { ObjectMeta } from "./object-meta.ts";

/** The fields the schema knows, in its order; the rest are carried after them. */
const KNOWN = new Set(["name", "labels", "annotations", "namespace"]);

/**
 * metaInShape validates a namespaced resource's metadata; `nameProblem` is the kind's name rule.
 * The label and annotation maps are the parsed objects themselves (the schema's copies of them
 * would print the same).
 */
export function metaInShape(
  raw: unknown,
  nameProblem: (name: string) => string | undefined,
): ObjectMeta | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { name, labels, annotations, namespace } = raw;
  if (typeof name !== "string" || nameProblem(name) !== undefined) return undefined;
  if (labels !== undefined && !labelsInShape(labels)) return undefined;
  if (annotations !== undefined && !stringsInShape(annotations)) return undefined;
  if (
    namespace !== undefined &&
    (typeof namespace !== "string" || dns1123LabelProblem(namespace) !== undefined)
  )
    return undefined;
  const out: Record<string, unknown> = { name };
  if (labels !== undefined) out["labels"] = labels;
  if (annotations !== undefined) out["annotations"] = annotations;
  out["namespace"] = namespace ?? "default";
  for (const key in raw) {
    if (KNOWN.has(key)) continue;
    // An own "__proto__" (JSON.parse makes one) would be a prototype if assigned: the schema's call.
    if (key === "__proto__") return undefined;
    out[key] = raw[key];
  }
  return out as unknown as ObjectMeta;
}

/** isPlainObject: a parsed mapping (JSON.parse's and the YAML loaders' objects), nothing else. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** labelsInShape: a label map (or a selector) whose keys and values are all valid. */
export function labelsInShape(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const key in v) {
    const value = v[key];
    if (key === "__proto__" || labelKeyProblem(key) !== undefined) return false;
    if (typeof value !== "string" || labelValueProblem(value) !== undefined) return false;
  }
  return true;
}

function stringsInShape(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const key in v) if (key === "__proto__" || typeof v[key] !== "string") return false;
  return true;
}
