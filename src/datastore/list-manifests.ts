/**
 * listManifests is the file datastore's read-only listing for one-shot readers (`sluice get`):
 * one pass over the directory that parses every manifest file but validates only the
 * documents of the kinds asked for (a JSON or YAML document's `kind` is readable before its
 * schema is checked). It keeps no index, no file stamps and no fingerprints — what a watching
 * reader (the agent) needs to apply later changes file by file, and what cost a `sluice get`
 * at 10k Services most of its time. The rules are the datastore's (datastore-state.ts): a
 * resource defined twice is held by the first definition in file-name and document order and
 * the other is rejected as a conflict; a document that names no readable kind, or is not YAML,
 * is reported whatever was asked, so a broken file is never silently skipped.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import { formatResourceKey, resourceKeyId } from "../model/resource-key.ts";
import type { ValidationOptions } from "../model/validation-options.ts";
import type { ListFilter, ListResult, Rejection } from "./datastore.ts";
import { documentSource } from "./datastore-state.ts";
import { isManifestFile, otherKind } from "./manifest-directory.ts";
import { parseRawDocuments, validatedDocument } from "./manifest-documents.ts";

/** ListManifestsOptions: validation settings, and the kinds a reader may ask for at all. */
export interface ListManifestsOptions {
  readonly validation?: ValidationOptions;
  /** Kinds outside this set are never validated nor listed (FileDatastoreOptions.onlyKinds). */
  readonly onlyKinds?: ReadonlySet<string>;
}

/** compareResources orders by kind, namespace, name (what `sluice get` prints). */
export function compareResources(a: Resource, b: Resource): number {
  const ka = `${a.kind}/${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.kind}/${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** otherNamespace: the raw document names a namespace other than `namespace` (unnamed ones are validated: the default applies). */
function otherNamespace(raw: unknown, namespace: string | undefined): boolean {
  if (namespace === undefined) return false;
  const ns = (raw as { metadata?: { namespace?: unknown } | null } | null | undefined)?.metadata?.namespace;
  return typeof ns === "string" && ns !== "" && ns !== namespace;
}

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter(isManifestFile).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    // Deleted since readdir, or a directory named like a manifest: not a manifest.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return undefined;
    throw err;
  }
}

/** listManifests lists the valid resources in `dir` that match `filter`, and the rejections that concern it. */
export function listManifests(
  dir: string,
  filter: ListFilter,
  options: ListManifestsOptions = {},
): ListResult {
  const kinds = filter.kind === undefined ? options.onlyKinds : new Set([filter.kind]);
  const holders = new Map<string, { source: string; resource: Resource }>();
  const rejected: Rejection[] = [];
  for (const file of readDir(dir)) {
    const text = readText(join(dir, file));
    if (text === undefined) continue;
    for (const doc of parseRawDocuments(text, file)) {
      const source = documentSource(file, doc.index);
      if (doc.error !== undefined) {
        rejected.push({ source, error: doc.error });
        continue;
      }
      if (kinds !== undefined && otherKind(doc.raw, kinds)) continue;
      if (otherNamespace(doc.raw, filter.namespace)) continue;
      const { result } = validatedDocument(doc.index, doc.raw, options.validation ?? {});
      if (!result.ok) {
        rejected.push({ source, error: result.error, ...(result.key ? { key: result.key } : {}) });
        continue;
      }
      const { key, resource } = result;
      if (filter.namespace !== undefined && resource.metadata.namespace !== filter.namespace) continue;
      const id = resourceKeyId(key);
      const holder = holders.get(id);
      if (holder === undefined) holders.set(id, { source, resource });
      else {
        const error = new ValidationError(
          formatResourceKey(key),
          "metadata.name",
          `already defined in ${JSON.stringify(holder.source)}; this definition is ignored`,
        );
        rejected.push({ source, key, error });
      }
    }
  }
  const resources = [...holders.values()].map((h) => h.resource).sort(compareResources);
  return { resources, rejected };
}
