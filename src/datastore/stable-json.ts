/**
 * stableJson: JSON with object keys sorted, so two equal resources give equal strings however
 * their manifests ordered the fields. Used to tell a real update from a rewrite.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
