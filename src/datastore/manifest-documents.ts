/**
 * parseManifestDocuments: the text of one YAML file in, one entry per document out — each a
 * validated resource or a ValidationError — so a bad document rejects only itself. Empty
 * documents (a trailing `---`, comments only) are skipped, as kubectl does. A file that is one
 * JSON object (what the datastore itself writes: JSON is YAML, and JSON.parse is ~50x faster
 * than a YAML parser) takes the fast path; anything else, or JSON that does not parse, goes
 * through the YAML parser (a one-document file through js-yaml first, see fast-yaml.ts).
 */
import { parseAllDocuments } from "yaml";
import { ValidationError } from "../errors/validation-error.ts";
import { fastYamlDocuments } from "./fast-yaml.ts";
import { manifestKey, validateResource, type ValidationResult } from "../model/validate-resource.ts";
import type { ValidationOptions } from "../model/validation-options.ts";

/** ManifestDocument is one document of a file: its index (0-based), raw value and validation result. */
export interface ManifestDocument {
  readonly index: number;
  readonly raw: unknown;
  readonly result: ValidationResult;
}

/**
 * RawDocument is one document of a file before validation: its parsed value, or the YAML
 * syntax error that kept it from parsing (`raw` is then undefined).
 */
export type RawDocument =
  | { readonly index: number; readonly raw: unknown; readonly error?: undefined }
  | { readonly index: number; readonly raw: undefined; readonly error: ValidationError };

/** parseManifestDocuments parses and validates every document in `text`; `source` names the file in errors. */
export function parseManifestDocuments(
  text: string,
  source: string,
  options: ValidationOptions = {},
): ManifestDocument[] {
  return parseRawDocuments(text, source).map((d) =>
    d.error !== undefined
      ? { index: d.index, raw: undefined, result: { ok: false, error: d.error } }
      : validatedDocument(d.index, d.raw, options),
  );
}

/**
 * parseRawDocuments parses every non-empty document in `text` without validating it, so a
 * reader that wants one kind validates only the documents of that kind.
 */
export function parseRawDocuments(text: string, source: string): RawDocument[] {
  const json = parseJsonObject(text);
  if (json !== undefined) return [{ index: 0, raw: json }];
  // The fast loader only for one-document files: a multi-document file's indices must be the
  // `yaml` package's, which edits (manifest-file-edit.ts) cut the file by.
  const single = /^---/m.test(text.replace(/^---[ \t]*\n/, "")) ? undefined : fastYamlDocuments(text);
  if (single !== undefined && single.length <= 1) {
    const raw = single[0];
    return raw === null || raw === undefined ? [] : [{ index: 0, raw }];
  }
  const out: RawDocument[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const line = err.linePos?.[0]?.line;
      const where = line === undefined ? source : `${source} line ${line}`;
      const error = new ValidationError(
        `document ${index + 1} of ${JSON.stringify(source)}`,
        "",
        `invalid YAML at ${where}: ${err.message.split("\n")[0]}`,
        { cause: err },
      );
      out.push({ index, raw: undefined, error });
      return;
    }
    const raw: unknown = doc.toJS({ maxAliasCount: 100 });
    if (raw === null || raw === undefined) return;
    out.push({ index, raw });
  });
  return out;
}

/** validatedDocument validates one parsed document; a rejection keeps the key when the manifest named one. */
export function validatedDocument(index: number, raw: unknown, options: ValidationOptions): ManifestDocument {
  const result = validateResource(raw, options);
  if (!result.ok && result.key === undefined) {
    const key = manifestKey(raw);
    return { index, raw, result: key ? { ...result, key } : result };
  }
  return { index, raw, result };
}

/** parseJsonObject: the object when `text` is exactly one JSON object, else undefined (YAML decides). */
export function parseJsonObject(text: string): object | undefined {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
