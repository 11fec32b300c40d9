/**
 * The one result shape every benchmark reports: rows of named measurements, each with a ratio
 * against a baseline row measured in the same run. Absolute numbers are kept (for the JSON and
 * for a reader who wants them) but the ratios are the result: the machines are shared and noisy,
 * so only what was measured side by side, minutes apart, is comparable. Pure.
 */

/** BenchRow is one measured case. `value` is in `unit`; lower is better unless `higherIsBetter`. */
export interface BenchRow {
  /** What was measured, e.g. "ClusterIP first packet, 10k Services". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Name of the row this one is divided by; absent for a baseline itself. */
  readonly baseline?: string;
  /** Extra columns (sample count, p99, writes, ...), printed after the ratio. */
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** RatioRow is a BenchRow with its ratio resolved (undefined when it has no baseline). */
export interface RatioRow extends BenchRow {
  readonly ratio?: number;
}

/** BenchTable is one titled table of rows; a benchmark may report several. */
export interface BenchTable {
  readonly title: string;
  readonly rows: readonly BenchRow[];
  /** One-line notes printed under the table (what the ratio means, what was skipped). */
  readonly notes?: readonly string[];
}

/** ratio divides `value` by `base`, undefined when the base is 0 or not finite (nothing to compare). */
export function ratio(value: number, base: number): number | undefined {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return undefined;
  return value / base;
}

/** withRatios resolves every row's ratio against the row its `baseline` names; unknown names throw. */
export function withRatios(rows: readonly BenchRow[]): RatioRow[] {
  const byName = new Map(rows.map((r) => [r.name, r]));
  return rows.map((r) => {
    if (r.baseline === undefined) return { ...r };
    const base = byName.get(r.baseline);
    if (base === undefined)
      throw new RangeError(`compute ratio of "${r.name}": no baseline row "${r.baseline}"`);
    const q = ratio(r.value, base.value);
    return q === undefined ? { ...r } : { ...r, ratio: q };
  });
}

/** formatNumber prints 3 significant digits, without exponent notation for everyday sizes. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return "0";
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(3)).toString();
}

/** formatTable renders one table as aligned text: name, value, unit, ratio (×), baseline, extras. */
export function formatTable(table: BenchTable): string {
  const rows = withRatios(table.rows);
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const head = ["case", "value", "unit", "ratio", "vs", ...extraKeys];
  const body = rows.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    r.ratio === undefined ? (r.baseline === undefined ? "1 (base)" : "-") : `${formatNumber(r.ratio)}×`,
    r.baseline ?? "",
    ...extraKeys.map((k) => {
      const v = r.extra?.[k];
      return v === undefined ? "" : typeof v === "number" ? formatNumber(v) : v;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  // Numbers right-aligned so magnitudes line up; text left-aligned.
  const numeric = new Set([1, 3]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [
    `## ${table.title}`,
    "",
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
  ];
  for (const n of table.notes ?? []) out.push(`  ${n}`);
  return out.join("\n");
}
