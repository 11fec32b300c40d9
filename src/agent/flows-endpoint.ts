/**
 * handleFlowsRequest serves `GET /flows` on the agent's health server: the recent flow records as
 * a JSON array, or with `follow=1` an NDJSON stream (one record per line as each interval is
 * flushed) until the client goes away. `from=`, `to=` (pod "ns/name", namespace or IP) and
 * `action=allow|deny` filter both. A bad filter is a 400 naming it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { matchFlow, parseFlowFilter, type FlowFilter } from "../flowlogs/flow-filter.ts";
import type { FlowSource } from "../flowlogs/recent-flows.ts";

/** handleFlowsRequest answers one request whose path is /flows. */
export function handleFlowsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  source: FlowSource | undefined,
): void {
  if (source === undefined) {
    res
      .writeHead(503, { "content-type": "application/json" })
      .end(
        `${JSON.stringify({ error: "flow logs are off: set flowLogsFileEnabled in FelixConfiguration" })}\n`,
      );
    return;
  }
  const q = new URL(req.url ?? "/flows", "http://agent").searchParams;
  let filter: FlowFilter;
  try {
    filter = parseFlowFilter({
      from: q.get("from") ?? undefined,
      to: q.get("to") ?? undefined,
      action: q.get("action") ?? undefined,
    });
  } catch (e) {
    res
      .writeHead(400, { "content-type": "application/json" })
      .end(`${JSON.stringify({ error: (e as Error).message })}\n`);
    return;
  }
  const follow = q.get("follow");
  if (follow !== "1" && follow !== "true") {
    const out = source.recent().filter((r) => matchFlow(filter, r));
    res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(out)}\n`);
    return;
  }
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
  res.flushHeaders();
  const unsubscribe = source.subscribe((batch) => {
    const lines = batch.filter((r) => matchFlow(filter, r)).map((r) => `${JSON.stringify(r)}\n`);
    if (lines.length > 0) res.write(lines.join(""));
  });
  req.on("close", unsubscribe);
  res.on("close", unsubscribe);
}
