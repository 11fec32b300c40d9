/**
 * fastYamlDocuments: js-yaml's loader (~5x faster than the `yaml` package's document model) for
 * the common case, with the `yaml` package kept for everything it does better: the alias-bomb
 * limit (texts with anchors or aliases are left to it), and errors with line numbers and
 * per-document recovery (a text js-yaml refuses is left to it too). The core schema is used so
 * the values are those of the `yaml` package's YAML 1.2 core (no timestamps, no merge keys).
 */
import { CORE_SCHEMA, loadAll } from "js-yaml";

/** An anchor (`&a`) or alias (`*a`) where a node may start: left to the loader with alias limits. */
const ANCHOR_OR_ALIAS = /(^|[\s[{,:-])[&*][^\s,\]}]/m;

/** fastYamlDocuments returns every document's value (null for an empty one), or undefined when the slow path must decide. */
export function fastYamlDocuments(text: string): unknown[] | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}
