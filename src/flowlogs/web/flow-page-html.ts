/**
 * flowPageHtml is the flow graph page: a toolbar (filter, edge width, status), the graph and the
 * side panel. Styles are inline so the page is one request plus its script; nothing is loaded
 * from the network beyond the agent.
 */

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

const CSS = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px system-ui, sans-serif; color: #1f2937; background: #f8fafc; }
body { display: flex; flex-direction: column; }
header.bar { display: flex; align-items: center; gap: 12px; padding: 8px 14px; background: #0f172a; color: #e2e8f0; flex-wrap: wrap; }
header.bar h1 { font-size: 15px; margin: 0 8px 0 0; font-weight: 600; }
header.bar input { width: 340px; padding: 5px 8px; border-radius: 4px; border: 1px solid #475569; background: #1e293b; color: #f1f5f9; }
header.bar input.invalid { border-color: #f87171; }
header.bar select, header.bar button { padding: 4px 8px; border-radius: 4px; border: 1px solid #475569; background: #1e293b; color: #f1f5f9; }
#filter-error { color: #fca5a5; }
#status { padding: 2px 8px; border-radius: 10px; background: #334155; }
#status.live { background: #166534; }
#status.error { background: #991b1b; }
.legend { display: flex; gap: 10px; align-items: center; margin-left: auto; }
.legend i { display: inline-block; width: 22px; height: 4px; vertical-align: middle; margin-right: 4px; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; min-width: 0; }
#panel { width: 50%; max-width: 980px; overflow: auto; border-left: 1px solid #cbd5e1; background: #fff; padding: 0 12px 12px; }
#panel header { display: flex; align-items: center; justify-content: space-between; position: sticky; top: 0; background: #fff; padding: 10px 0 6px; }
#panel h2 { font-size: 14px; margin: 0; }
#panel .close { border: none; background: none; font-size: 20px; cursor: pointer; }
#panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 4px 0; }
#panel dt { color: #64748b; }
#panel dd { margin: 0; }
#panel .count { color: #64748b; margin: 6px 0; }
#panel table { border-collapse: collapse; width: 100%; font-size: 11.5px; }
#panel th, #panel td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid #e2e8f0; white-space: pre-line; }
#panel td:nth-child(1), #panel td:nth-child(8), #panel td:nth-child(9) { white-space: pre; }
#panel th { background: #f1f5f9; position: sticky; top: 40px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; color: #fff; font-size: 11px; margin-right: 8px; text-transform: uppercase; }
.badge.allow, td.verdict.allow { background: #2e9e4f; color: #fff; }
.badge.deny, td.verdict.deny { background: #d93025; color: #fff; }
footer { padding: 3px 14px; color: #64748b; font-size: 12px; border-top: 1px solid #e2e8f0; display: flex; gap: 16px; }
#bad-records { color: #b91c1c; }
`;

/** flowPageHtml renders the page; `flowsPath` is where the agent serves `GET /flows`. */
export function flowPageHtml(flowsPath: string, scriptPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice flows</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body data-flows-path="${escapeAttr(flowsPath)}">
<header class="bar">
  <h1>Sluice flows</h1>
  <input id="filter" type="search" placeholder="filter: ns:NAME pod:TEXT action:allow|deny text" autocomplete="off" spellcheck="false">
  <label>edge width <select id="width-by"><option value="bytes">bytes</option><option value="flows">flows</option></select></label>
  <button id="relayout" type="button">re-layout</button>
  <span id="status">connecting</span>
  <span id="filter-error"></span>
  <span class="legend"><span><i style="background:#2e9e4f"></i>allow</span><span><i style="background:#d93025"></i>deny</span></span>
</header>
<main>
  <div id="graph"></div>
  <aside id="panel" hidden></aside>
</main>
<footer><span id="counts"></span><span id="bad-records"></span></footer>
<script src="${escapeAttr(scriptPath)}"></script>
</body>
</html>
`;
}
