/**
 * scaleChart: the scale benchmark's PNG — control-plane time against the number of Services,
 * one line per path — drawn with Vega-Lite (compiled to Vega, rendered headless to SVG) and
 * rasterised with resvg. Text uses DejaVu Sans (Debian fonts-dejavu-core, in scripts/setup.sh):
 * resvg loads no system fonts unless told where they are.
 */
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** ChartPoint is one measurement: a path's time at a number of Services. */
export interface ChartPoint {
  readonly series: string;
  readonly services: number;
  readonly ms: number;
}

const FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"];

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
    title: { text: title, font: "DejaVu Sans", fontSize: 15 },
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
      font: "DejaVu Sans",
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12 },
    },
  };
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 1.5 },
    font: { loadSystemFonts: false, fontDirs: FONT_DIRS, defaultFontFamily: "DejaVu Sans" },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
