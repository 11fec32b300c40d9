/**
 * followFlows feeds the page: it opens the agent's follow stream (`GET <flows>?follow=1`, NDJSON)
 * first, then reads the history (`GET <flows>`), so a record flushed between the two is not
 * missed (the store drops the duplicate). When the stream ends or fails it reconnects, waiting a
 * little longer each time, and says so through `onStatus`.
 */
import { NdjsonLines } from "../ndjson-lines.ts";
import { parseFlowRecordView } from "../flow-record-view.ts";
import type { FlowRecordView } from "../flow-record-view.ts";

/** FlowStreamOptions: where the flows are and whom to tell. */
export interface FlowStreamOptions {
  readonly flowsPath: string;
  readonly onRecords: (records: FlowRecordView[]) => void;
  readonly onStatus: (text: string, state: "live" | "connecting" | "error") => void;
  /** onBadRecord hears about a record the page cannot draw (the rest still shows). */
  readonly onBadRecord: (message: string) => void;
}

const RETRY_MS = { first: 1000, max: 15000 } as const;

function parseAll(values: unknown[], where: string, opts: FlowStreamOptions): FlowRecordView[] {
  const out: FlowRecordView[] = [];
  values.forEach((v, i) => {
    try {
      out.push(parseFlowRecordView(v, `${where} ${i + 1}`));
    } catch (e) {
      opts.onBadRecord((e as Error).message);
    }
  });
  return out;
}

async function readHistory(opts: FlowStreamOptions): Promise<void> {
  const res = await fetch(opts.flowsPath, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`GET ${opts.flowsPath}: HTTP ${res.status}`);
  const body: unknown = await res.json();
  if (!Array.isArray(body)) throw new Error(`GET ${opts.flowsPath}: expected a JSON array of flow records`);
  opts.onRecords(parseAll(body, "record", opts));
}

async function followOnce(opts: FlowStreamOptions): Promise<void> {
  const url = `${opts.flowsPath}${opts.flowsPath.includes("?") ? "&" : "?"}follow=1`;
  opts.onStatus("connecting", "connecting");
  const res = await fetch(url, { headers: { accept: "application/x-ndjson" } });
  if (!res.ok || res.body === null) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  await readHistory(opts);
  opts.onStatus("live", "live");
  const lines = new NdjsonLines();
  let lineNo = 0;
  const take = (ls: string[]): void => {
    const values: unknown[] = [];
    for (const l of ls) {
      lineNo++;
      try {
        values.push(JSON.parse(l));
      } catch {
        opts.onBadRecord(`read flow record: stream line ${lineNo}: not JSON`);
      }
    }
    if (values.length > 0) opts.onRecords(parseAll(values, "stream record", opts));
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    take(lines.push(value));
  }
  take(lines.end());
  throw new Error("the agent closed the flow stream");
}

/** followFlows runs until the page closes (see the file comment). */
export async function followFlows(opts: FlowStreamOptions): Promise<never> {
  let wait: number = RETRY_MS.first;
  for (;;) {
    try {
      await followOnce(opts);
    } catch (e) {
      opts.onStatus(`${(e as Error).message}; retrying in ${Math.round(wait / 1000)} s`, "error");
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, RETRY_MS.max);
  }
}
