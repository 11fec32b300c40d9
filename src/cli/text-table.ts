/**
 * textTable renders rows as left-aligned columns three spaces apart, with an upper-case header,
 * like kubectl and `sluice lab status`. Pure.
 */

/** textTable returns the table text (header only, then "(none)", when there are no rows). */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number | bigint)[])[],
): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const lines = cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
  if (rows.length === 0) lines.push("(none)");
  return lines.join("\n");
}
