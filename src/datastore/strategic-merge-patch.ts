/**
 * applyStrategicMergePatch: the subset of Kubernetes strategic merge patch (kubectl's default
 * patch type) that plain-object patches use — the how-to's `{"spec":{"bpfExternalServiceMode":
 * "DSR"}}` and the kube-proxy nodeSelector patches. For objects it is identical to a JSON merge
 * patch (null deletes). Lists are replaced whole: list merge keys (containers by name, ...) and
 * `$patch` directives are not implemented, and a patch using a directive is refused rather than
 * applied differently from kubectl.
 */
import { applyMergePatch } from "./merge-patch.ts";

function findDirective(v: unknown, path: string): string | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = findDirective(v[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (typeof v === "object" && v !== null) {
    for (const [k, child] of Object.entries(v)) {
      if (k.startsWith("$")) return path === "" ? k : `${path}.${k}`;
      const found = findDirective(child, path === "" ? k : `${path}.${k}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** applyStrategicMergePatch merges plain objects like kubectl; throws on `$`-directives it does not implement. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  const directive = findDirective(patch, "");
  if (directive !== undefined) {
    throw new Error(
      `apply strategic merge patch: directive ${JSON.stringify(directive)} is not supported; use --type merge`,
    );
  }
  return applyMergePatch(target, patch);
}
