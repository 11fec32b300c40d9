/**
 * implicitDefault: the resources a Calico cluster always has, so patching them works before
 * anyone wrote them. Calico creates FelixConfiguration `default` itself, and the operator's
 * Installation `default` exists on every operator-installed cluster; the how-to patches both
 * without creating them. A patch of either, when absent, starts from this empty object — the
 * same as Calico's defaults, since defaults are applied when read (effectiveFelixConfiguration),
 * not stored.
 */
import type { ResourceKey } from "../model/resource-key.ts";

/** implicitDefault returns the starting manifest for a resource that implicitly exists, or undefined. */
export function implicitDefault(key: ResourceKey): Record<string, unknown> | undefined {
  if (key.name !== "default") return undefined;
  if (key.group === "projectcalico.org" && key.kind === "FelixConfiguration") {
    return {
      apiVersion: "projectcalico.org/v3",
      kind: "FelixConfiguration",
      metadata: { name: "default" },
      spec: {},
    };
  }
  if (key.group === "operator.tigera.io" && key.kind === "Installation") {
    return {
      apiVersion: "operator.tigera.io/v1",
      kind: "Installation",
      metadata: { name: "default" },
      spec: {},
    };
  }
  return undefined;
}
