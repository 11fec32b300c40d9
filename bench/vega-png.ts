/**
 * vegaLitePng renders a Vega-Lite spec to PNG: compiled to Vega, rendered headless to SVG, and
 * rasterised with resvg. Text uses DejaVu Sans (Debian fonts-dejavu-core, in scripts/setup.sh):
 * resvg loads no system fonts unless told where they are. Shared by the benches' charts.
 */
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"];

/** CHART_FONT is the one font family every chart names (the one resvg is given). */
export const CHART_FONT = "DejaVu Sans";

/** vegaLitePng returns the PNG bytes of `spec`, drawn at 1.5× for legible text. */
export async function vegaLitePng(spec: TopLevelSpec): Promise<Buffer> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 1.5 },
    font: { loadSystemFonts: false, fontDirs: FONT_DIRS, defaultFontFamily: CHART_FONT },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
