/**
 * formatFieldPath renders a zod path the way kubectl reports fields: `spec.ports[0].port`,
 * `metadata.labels["kubernetes.io/service-name"]`.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part))
      out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}
