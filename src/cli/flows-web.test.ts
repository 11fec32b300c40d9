import assert from "node:assert/strict";
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import {
  flowsWebTarget,
  parseListen,
  startFlowsWeb,
  urlUpstream,
  type FlowsWeb,
  type FlowUpstream,
} from "./flows-web.ts";

const rec = (end: number, name: string): FlowRecord =>
  ({ end_time: end, source_name: name, action: "allow" }) as unknown as FlowRecord;

interface FakeAgent {
  readonly url: string;
  readonly queries: string[];
  readonly followers: Set<ServerResponse>;
  readonly server: Server;
}

/** fakeAgent is an agent's GET /flows: a fixed array, or a stream the test writes to. */
async function fakeAgent(records: FlowRecord[], status = 200): Promise<FakeAgent> {
  const queries: string[] = [];
  const followers = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    queries.push(u.search);
    if (status !== 200) {
      res.writeHead(status).end(`${JSON.stringify({ error: "flow logs are off" })}\n`);
    } else if (u.searchParams.get("follow") === "1") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.flushHeaders();
      followers.add(res);
    } else res.writeHead(200).end(JSON.stringify(records));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries, followers, server };
}

const servers: Server[] = [];
const webs: FlowsWeb[] = [];
after(async () => {
  for (const w of webs) await w.close();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function web(upstreams: FlowUpstream[]): Promise<FlowsWeb> {
  const w = await startFlowsWeb(upstreams, { host: "127.0.0.1", port: 0 });
  webs.push(w);
  return w;
}

function fetchText(url: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }),
      );
    }).on("error", reject);
  });
}

test("flows --web: the page at /ui/, and /flows merges every agent's records by end time", async () => {
  const a = await fakeAgent([rec(10, "a1"), rec(30, "a2")]);
  const b = await fakeAgent([rec(20, "b1")]);
  servers.push(a.server, b.server);
  const w = await web([urlUpstream(a.url), urlUpstream(b.url)]);
  const root = w.url.replace(/ui\/$/, "");
  assert.equal((await fetchText(root)).location, "/ui/");
  const page = await fetchText(w.url);
  assert.equal(page.status, 200);
  assert.match(page.body, /<script[^>]+src="\/ui\/app\.js"/);
  const flows = await fetchText(`${root}flows?action=deny`);
  assert.equal(flows.status, 200);
  const names = (JSON.parse(flows.body) as FlowRecord[]).map((r) => r.source_name);
  assert.deepEqual(names, ["a1", "b1", "a2"]);
  assert.deepEqual(
    [a.queries.at(-1), b.queries.at(-1)],
    ["?action=deny", "?action=deny"],
    "filters pass through",
  );
  assert.equal((await fetchText(`${root}nope`)).status, 404);
});

test("flows --web: an agent that fails is left out; when all fail, 502 names them", async () => {
  const good = await fakeAgent([rec(5, "g")]);
  const off = await fakeAgent([], 503);
  servers.push(good.server, off.server);
  const partial = await web([urlUpstream(good.url), urlUpstream(off.url)]);
  const base = partial.url.replace(/ui\/$/, "");
  const ok = await fetchText(`${base}flows`);
  assert.equal(ok.status, 200);
  assert.deepEqual(
    (JSON.parse(ok.body) as FlowRecord[]).map((r) => r.source_name),
    ["g"],
  );

  const none = await web([urlUpstream(off.url), urlUpstream("http://127.0.0.1:1")]);
  const bad = await fetchText(`${none.url.replace(/ui\/$/, "")}flows`);
  assert.equal(bad.status, 502);
  const error = (JSON.parse(bad.body) as { error: string }).error;
  assert.match(error, /answered 503: .*flow logs are off/);
  assert.match(error, /http:\/\/127\.0\.0\.1:1: no agent: .*ECONNREFUSED/);
});

test("flows --web: follow interleaves whole lines from every agent", async () => {
  const a = await fakeAgent([]);
  const b = await fakeAgent([]);
  servers.push(a.server, b.server);
  const w = await web([urlUpstream(a.url), urlUpstream(b.url)]);
  const lines: string[] = [];
  let res!: IncomingMessage;
  await new Promise<void>((resolve) =>
    get(`${w.url.replace(/ui\/$/, "")}flows?follow=1`, (r) => {
      res = r;
      r.setEncoding("utf8");
      let buf = "";
      r.on("data", (d: string) => {
        buf += d;
        const parts = buf.split("\n");
        buf = parts.pop()!;
        lines.push(...parts);
      });
      resolve();
    }),
  );
  const until = async (n: number) => {
    for (let i = 0; i < 200 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };
  for (let i = 0; i < 200 && (a.followers.size === 0 || b.followers.size === 0); i++)
    await new Promise((r) => setTimeout(r, 10));
  const [fa] = a.followers;
  const [fb] = b.followers;
  // A line split across two writes must arrive whole, not mixed with the other agent's line.
  fa!.write(`${JSON.stringify(rec(1, "a")).slice(0, 10)}`);
  fb!.write(`${JSON.stringify(rec(2, "b"))}\n`);
  await until(1);
  fa!.write(`${JSON.stringify(rec(1, "a")).slice(10)}\n`);
  await until(2);
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as FlowRecord).source_name),
    ["b", "a"],
  );
  res.destroy();
});

test("flows --web: which agents, and --listen", () => {
  assert.deepEqual(flowsWebTarget({ lab: "sl" }, undefined, {}), { lab: "sl" });
  assert.deepEqual(flowsWebTarget({}, "sl", {}), { lab: "sl" }, "the current lab context");
  assert.deepEqual(flowsWebTarget({ agent: "http://h:1" }, "sl", {}), { agent: "http://h:1" });
  assert.deepEqual(flowsWebTarget({}, undefined, { SLUICE_AGENT_URL: "http://e:2" }), {
    agent: "http://e:2",
  });
  assert.deepEqual(flowsWebTarget({}, undefined, {}), { agent: "http://127.0.0.1:9099" });
  assert.throws(() => flowsWebTarget({ lab: "a", agent: "http://h:1" }, undefined, {}), /--lab or --agent/);
  assert.deepEqual(parseListen("0.0.0.0:8091"), { host: "0.0.0.0", port: 8091 });
  assert.deepEqual(parseListen(":8092"), { host: "127.0.0.1", port: 8092 });
  assert.deepEqual(parseListen("[::1]:8093"), { host: "::1", port: 8093 });
  assert.throws(() => parseListen("127.0.0.1:http"), /--listen "127.0.0.1:http": port "http" is not 0-65535/);
  assert.throws(() => parseListen("127.0.0.1:70000"), /is not 0-65535/);
  assert.throws(() => urlUpstream("not a url"), /agent address "not a url" is not a URL/);
});
