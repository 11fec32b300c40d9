/**
 * validateResource: one parsed manifest in, a typed Resource or a ValidationError out. The
 * error names the resource ("Service default/web"), the field ("spec.ports[0].port") and the
 * reason; it is a value, not a throw, because a bad resource is skipped while the rest apply.
 */
import type { z } from "zod";
import { ValidationError } from "../errors/validation-error.ts";
import { shareEndpointParts } from "./endpoint-slice.ts";
import { formatFieldPath } from "./field-path.ts";
import { issueReason } from "./issue-reason.ts";
import type { Resource } from "./resource.ts";
import { formatResourceKey, type ResourceKey } from "./resource-key.ts";
import { kindForManifest, RESOURCE_KINDS, type KindInfo } from "./resource-kinds.ts";
import { shareServiceParts } from "./service.ts";
import type { ValidationOptions } from "./validation-options.ts";

/** ValidationResult is a valid resource with its key, or the error; `key` is set when identity was readable. */
export type ValidationResult =
  | { readonly ok: true; readonly resource: Resource; readonly key: ResourceKey; readonly kind: KindInfo }
  | { readonly ok: false; readonly error: ValidationError; readonly key?: ResourceKey };

const schemaCache = new Map<string, z.ZodType>();

function schemaFor(info: KindInfo, options: ValidationOptions): z.ZodType {
  const id = `${info.apiVersion}/${info.kind}/${options.nodePortRange?.min ?? ""}-${options.nodePortRange?.max ?? ""}`;
  let schema = schemaCache.get(id);
  if (schema === undefined) {
    schema = info.schema(options);
    schemaCache.set(id, schema);
  }
  return schema;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** manifestKey reads a manifest's identity without validating the rest, or undefined when it can't. */
export function manifestKey(raw: unknown): ResourceKey | undefined {
  if (!isRecord(raw) || typeof raw["apiVersion"] !== "string" || typeof raw["kind"] !== "string")
    return undefined;
  const info = kindForManifest(raw["apiVersion"], raw["kind"]);
  const meta = raw["metadata"];
  if (info === undefined || !isRecord(meta) || typeof meta["name"] !== "string") return undefined;
  if (!info.namespaced) return { group: info.group, kind: info.kind, name: meta["name"] };
  const namespace =
    typeof meta["namespace"] === "string" && meta["namespace"] !== "" ? meta["namespace"] : "default";
  return { group: info.group, kind: info.kind, namespace, name: meta["name"] };
}

function describe(raw: Record<string, unknown>): string {
  const kind = typeof raw["kind"] === "string" ? raw["kind"] : "resource";
  const meta = isRecord(raw["metadata"]) ? raw["metadata"] : {};
  const name = typeof meta["name"] === "string" ? meta["name"] : "(no name)";
  const namespace = typeof meta["namespace"] === "string" ? meta["namespace"] : undefined;
  return namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

/**
 * validateResource checks a manifest (a parsed YAML/JSON document) against its kind's schema.
 * The manifest is handed over: a kind's in-shape path (KindInfo.validateInShape) may make parts
 * of it the resource's own, shared and frozen (an EndpointSlice's endpoint objects, their
 * conditions) — pass a copy of anything the caller will change afterwards.
 */
export function validateResource(raw: unknown, options: ValidationOptions = {}): ValidationResult {
  if (!isRecord(raw)) {
    return {
      ok: false,
      error: new ValidationError(
        "document",
        "",
        `expected a mapping with apiVersion, kind and metadata, got ${raw === null ? "null" : Array.isArray(raw) ? "a list" : typeof raw}`,
      ),
    };
  }
  const what = describe(raw);
  const { apiVersion, kind } = raw;
  if (typeof kind !== "string") return { ok: false, error: new ValidationError(what, "kind", "required") };
  if (typeof apiVersion !== "string")
    return { ok: false, error: new ValidationError(what, "apiVersion", "required") };
  const info = kindForManifest(apiVersion, kind);
  if (info === undefined) {
    const known = RESOURCE_KINDS.find((k) => k.kind === kind);
    const reason = known
      ? `kind ${JSON.stringify(kind)} is served as apiVersion ${JSON.stringify(known.apiVersion)}, got ${JSON.stringify(apiVersion)}`
      : `unknown kind ${JSON.stringify(kind)} (apiVersion ${JSON.stringify(apiVersion)})`;
    return { ok: false, error: new ValidationError(what, known ? "apiVersion" : "kind", reason) };
  }
  const key = manifestKey(raw);
  const resourceName = key ? formatResourceKey(key) : what;
  const schema = schemaFor(info, options);
  const inShape = info.validateInShape?.(raw, options);
  if (inShape !== undefined) {
    shareNames(inShape, info);
    return { ok: true, resource: inShape, key: key as ResourceKey, kind: info };
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    if (first === undefined)
      return { ok: false, error: new ValidationError(resourceName, "", "invalid"), ...(key ? { key } : {}) };
    const path = first.code === "unrecognized_keys" ? [...first.path, first.keys[0] ?? ""] : first.path;
    const more = rest.length === 0 ? "" : ` (and ${rest.length} more problem${rest.length === 1 ? "" : "s"})`;
    const error = new ValidationError(resourceName, formatFieldPath(path), issueReason(first) + more, {
      cause: parsed.error,
    });
    return { ok: false, error, ...(key ? { key } : {}) };
  }
  const resource = parsed.data as Resource;
  shareNames(resource, info);
  return { ok: true, resource, key: key as ResourceKey, kind: info };
}

/**
 * shareNames makes a resource's apiVersion and kind the kind's own strings, not the manifest's
 * copies (a fresh "discovery.k8s.io/v1" and "EndpointSlice" per parsed document: ~0.7 MB at
 * 10,000 Services). Only where they are equal: the schemas' literals make them so.
 */
function shareNames(resource: Resource, info: KindInfo): void {
  const named = resource as { apiVersion: string; kind: string };
  if (Object.isFrozen(named)) return;
  if (named.apiVersion === info.apiVersion) named.apiVersion = info.apiVersion;
  if (named.kind === info.kind) named.kind = info.kind;
}

/**
 * shareResourceParts gives a resource that was validated earlier and read back as plain JSON
 * (the datastore's restart snapshot, index-snapshot.ts) the sharing validation gives
 * (shared-values.ts): the same values, held once. In place; the resource is returned.
 */
export function shareResourceParts(resource: Resource, info: KindInfo): Resource {
  shareNames(resource, info);
  // No schema pass on that path: only the shapes validation gives are touched.
  if (resource.kind === "Service") {
    const spec = resource.spec as unknown;
    if (isRecord(spec) && Array.isArray(spec["ports"])) shareServiceParts(resource);
  } else if (resource.kind === "EndpointSlice") {
    const slice = resource as unknown as Record<string, unknown>;
    const endpoints = slice["endpoints"];
    if (Array.isArray(endpoints) && endpoints.every(isRecord) && Array.isArray(slice["ports"]))
      shareEndpointParts(resource, { compact: false });
  }
  return resource;
}
