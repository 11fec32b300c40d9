/**
 * applyMergePatch: JSON merge patch (RFC 7386), what `kubectl patch --type merge` sends. Objects
 * merge key by key, `null` deletes a key, anything else (lists included) replaces. Pure; the
 * inputs are not modified.
 */
import { plainResource } from "../model/packed-endpoint.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * applyMergePatch returns `target` with `patch` merged in, per RFC 7386 section 2. A stored
 * resource's packed endpoints are copied as their plain objects (structuredClone keeps only own
 * fields).
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(plainResource(target)) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
