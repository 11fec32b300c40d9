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
  // A loop, not Math.max(...column): a spread of 100k+ rows (a NAT dump at 10k Services) overflows the stack.
  const widths = headers.map(() => 0);
  for (const r of cells)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? "").length);
  const lines = cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
  if (rows.length === 0) lines.push("(none)");
  return lines.join("\n");
}
