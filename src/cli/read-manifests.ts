/**
 * readManifests: the documents behind `-f <file|dir|->` — a file, every .yaml/.yml/.json file of
 * a directory (not recursive, like kubectl without -R), or stdin. `kind: List` documents are
 * expanded into their items, as kubectl does.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { fastYamlDocuments } from "../datastore/fast-yaml.ts";

/** ManifestInput is one document to apply or delete, with where it came from (`web.yaml#2`). */
export interface ManifestInput {
  readonly source: string;
  readonly raw: unknown;
}

function expand(raw: unknown, where: string, out: ManifestInput[]): void {
  if (raw === null || raw === undefined) return;
  const items =
    (raw as { kind?: unknown; items?: unknown }).kind === "List"
      ? (raw as { items?: unknown }).items
      : undefined;
  if (Array.isArray(items)) items.forEach((item) => out.push({ source: where, raw: item }));
  else out.push({ source: where, raw });
}

function documentsOf(text: string, source: string): ManifestInput[] {
  const out: ManifestInput[] = [];
  // js-yaml first (a 20,000-document manifest in seconds, not a minute); the `yaml` package
  // when it declines, for its alias limit and its error messages.
  const fast = fastYamlDocuments(text);
  if (fast !== undefined) {
    fast.forEach((raw, i) => expand(raw, `${source}#${i + 1}`, out));
    return out;
  }
  const docs = parseAllDocuments(text);
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    const where = `${source}#${i + 1}`;
    if (doc.errors.length > 0)
      throw new Error(`read ${where}: invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
    expand(doc.toJS({ maxAliasCount: 100 }), where, out);
  });
  return out;
}

/** readManifests reads every document from `path` ("-" is stdin). */
export function readManifests(path: string): ManifestInput[] {
  if (path === "-") return documentsOf(readFileSync(0, "utf8"), "stdin");
  const st = statSync(path);
  if (!st.isDirectory()) return documentsOf(readFileSync(path, "utf8"), path);
  return readdirSync(path)
    .filter((n) => !n.startsWith(".") && /\.(ya?ml|json)$/.test(n))
    .sort()
    .flatMap((n) => documentsOf(readFileSync(join(path, n), "utf8"), join(path, n)));
}
