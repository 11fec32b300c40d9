/**
 * scaleMarkdown renders a bench table as a markdown table (for bench/README.md and the results
 * directory): case, value, unit, ratio and the extra columns, numbers as formatTable prints them.
 * Pure.
 */
import { formatNumber, withRatios, type BenchTable } from "./result-table.ts";

/** scaleMarkdown returns `table` as markdown, its title as a heading and its notes below. */
export function scaleMarkdown(table: BenchTable): string {
  const rows = withRatios(table.rows);
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const head = ["case", "value", "unit", "ratio", ...extraKeys];
  const cell = (v: string | number | undefined): string =>
    (v === undefined ? "" : typeof v === "number" ? formatNumber(v) : v).replace(/\|/g, "\\|");
  const lines = [
    `### ${table.title}`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i === 1 || i === 3 ? "---:" : "---")).join(" | ")} |`,
    ...rows.map(
      (r) =>
        `| ${[r.name, formatNumber(r.value), r.unit, r.ratio === undefined ? "" : `${formatNumber(r.ratio)}×`, ...extraKeys.map((k) => cell(r.extra?.[k]))].join(" | ")} |`,
    ),
    "",
    ...(table.notes ?? []).map((n) => `- ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}
