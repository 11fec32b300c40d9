/**
 * scaleChart: the scale benchmark's PNG — control-plane time against the number of Services,
 * one line per path — drawn with Vega-Lite (bench/vega-png.ts renders it).
 */
import type { TopLevelSpec } from "vega-lite";
import { CHART_FONT, vegaLitePng } from "./vega-png.ts";

/** ChartPoint is one measurement: a path's time at a number of Services. */
export interface ChartPoint {
  readonly series: string;
  readonly services: number;
  readonly ms: number;
}

/** ChartAxes name the axes when they are not the scale bench's (Services × 10 endpoints, ms). */
export interface ChartAxes {
  readonly x?: string;
  readonly y?: string;
}

/** scaleChartPng renders `points` as a log-log line chart and returns the PNG bytes. */
export async function scaleChartPng(
  title: string,
  points: readonly ChartPoint[],
  axes: ChartAxes = {},
): Promise<Buffer> {
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, font: CHART_FONT, fontSize: 15 },
    width: 640,
    height: 380,
    background: "white",
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: "line", point: { size: 70 }, strokeWidth: 2.5 },
    encoding: {
      x: {
        field: "services",
        type: "quantitative",
        scale: { type: "log" },
        title: axes.x ?? "Services (10 endpoints each)",
      },
      y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: axes.y ?? "milliseconds (log)" },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        legend: { orient: "bottom", columns: 2, labelLimit: 400 },
      },
    },
    config: {
      font: CHART_FONT,
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12 },
    },
  };
  return vegaLitePng(spec);
}
