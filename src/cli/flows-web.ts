/**
 * `sluice flows --web`: the flow graph page (serveFlowWeb) on a local address, with `GET /flows`
 * answered from one or more agents — one agent by URL, or every node of a lab, whose agents
 * listen inside the node's network namespace and are reached by `curl` run there (nsenter), the
 * way `sluice lab exec` runs commands. `GET /flows` merges the agents' records (oldest first);
 * `?follow=1` interleaves their NDJSON streams line by line. The page's filters (`from`, `to`,
 * `action`) pass through to every agent.
 */
import { spawn } from "node:child_process";
import { createServer, get, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { nsenterArgv } from "../../lab/index.ts";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { serveFlowWeb } from "../flowlogs/web/serve-flow-web.ts";
import { DEFAULT_AGENT_URL } from "./flows-query.ts";

/** FlowsWebTarget says where the page's flows come from: a lab's nodes, or one agent by URL. */
export type FlowsWebTarget = { readonly lab: string } | { readonly agent: string };

/**
 * flowsWebTarget picks the agents for `--web`: `--lab NAME`; else `--agent URL` or
 * $SLUICE_AGENT_URL; else the lab of the current context (set by `sluice lab up`); else the agent
 * on this node. Both --lab and --agent is an error.
 */
export function flowsWebTarget(
  o: { readonly lab?: string; readonly agent?: string },
  currentLab: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): FlowsWebTarget {
  if (o.lab !== undefined && o.agent !== undefined)
    throw new Error("sluice flows --web: give --lab or --agent, not both");
  if (o.lab !== undefined) return { lab: o.lab };
  const agent = o.agent ?? env["SLUICE_AGENT_URL"];
  if (agent !== undefined) return { agent };
  if (currentLab !== undefined) return { lab: currentLab };
  return { agent: DEFAULT_AGENT_URL };
}

/** DEFAULT_FLOWS_WEB_LISTEN is where `sluice flows --web` listens without --listen. */
export const DEFAULT_FLOWS_WEB_LISTEN = "127.0.0.1:8090";

/** UpstreamBody is one request to an agent: the body as it streams, and how it ended. */
export interface UpstreamBody {
  readonly body: Readable;
  /** Resolves when the body ended after a 200; rejects with a message naming the agent otherwise. */
  readonly done: Promise<void>;
  close(): void;
}

/** FlowUpstream is one agent's flow API. */
export interface FlowUpstream {
  readonly name: string;
  /** open sends `GET <pathAndQuery>` (e.g. `/flows?follow=1`). */
  open(pathAndQuery: string): UpstreamBody;
}

/** urlUpstream reaches an agent's health server by URL (e.g. http://127.0.0.1:9099). */
export function urlUpstream(base: string): FlowUpstream {
  let origin: URL;
  try {
    origin = new URL(base);
  } catch {
    throw new Error(`sluice flows --web: agent address ${JSON.stringify(base)} is not a URL`);
  }
  return {
    name: origin.origin,
    open(pathAndQuery) {
      // The body exists from the start (empty on an error), so readers need not wait for it.
      const body = new PassThrough();
      const req = get(new URL(pathAndQuery, origin));
      const done = new Promise<void>((resolve, reject) => {
        const fail = (e: Error): void => {
          body.end();
          reject(e);
        };
        req.on("error", (e) => fail(new Error(`no agent: ${e.message}`)));
        req.on("response", (res) => {
          if (res.statusCode === 200) {
            res.on("end", resolve);
            res.on("error", fail);
            res.pipe(body);
            return;
          }
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => fail(new Error(`answered ${res.statusCode}: ${text.trim()}`)));
        });
      });
      return {
        body,
        done,
        close: () => {
          req.destroy();
          body.end();
        },
      };
    },
  };
}

/** netnsUpstream reaches the agent listening on 127.0.0.1:`port` inside network namespace `netns`. */
export function netnsUpstream(name: string, netns: string, port = 9099): FlowUpstream {
  return {
    name,
    open(pathAndQuery) {
      const url = `http://127.0.0.1:${port}${pathAndQuery}`;
      const [cmd, ...args] = nsenterArgv(netns, ["curl", "-sSN", "--fail-with-body", url]);
      const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d: string) => (err += d));
      // Without --fail-with-body's exit status the body would pass as records: keep it for the error.
      const done = new Promise<void>((resolve, reject) => {
        child.on("error", (e) => reject(new Error(`curl in netns ${netns}: ${e.message}`)));
        child.on("close", (code, signal) => {
          if (code === 0 || signal === "SIGTERM") resolve();
          else reject(new Error(`netns ${netns}, ${url}: ${err.trim() || `curl exited ${code}`}`));
        });
      });
      return { body: child.stdout, done, close: () => child.kill("SIGTERM") };
    },
  };
}

/** parseListen reads `--listen`: `host:port` or `:port` (loopback); port 0 picks a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(":");
  const host = i <= 0 ? "127.0.0.1" : text.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const portText = i < 0 ? text : text.slice(i + 1);
  const port = Number(portText);
  if (portText === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `sluice flows --web: --listen ${JSON.stringify(text)}: port ${JSON.stringify(portText)} is not 0-65535 (e.g. ${DEFAULT_FLOWS_WEB_LISTEN})`,
    );
  }
  return { host, port };
}

/** FlowsWeb is the running page server. */
export interface FlowsWeb {
  readonly server: Server;
  /** url is the page's address, e.g. http://127.0.0.1:8090/ui/ */
  readonly url: string;
  close(): Promise<void>;
}

/** startFlowsWeb serves the page at /ui/ and the agents' merged flows at /flows. */
export async function startFlowsWeb(
  upstreams: readonly FlowUpstream[],
  listen: { host: string; port: number },
  log: (line: string) => void = () => undefined,
): Promise<FlowsWeb> {
  if (upstreams.length === 0) throw new Error("sluice flows --web: no agent to read flows from");
  const open = new Set<UpstreamBody>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/") {
      res.writeHead(308, { location: "/ui/" }).end();
      return;
    }
    if (serveFlowWeb(req, res)) return;
    if (path !== "/flows") {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path} (the page is /ui/)\n`);
      return;
    }
    const query = new URL(req.url ?? "/flows", "http://x").searchParams;
    const follow = query.get("follow") === "1" || query.get("follow") === "true";
    const pathAndQuery = `/flows?${query.toString()}`;
    const bodies = upstreams.map((u) => ({ u, b: u.open(pathAndQuery) }));
    for (const { b } of bodies) open.add(b);
    const closeAll = (): void => {
      for (const { b } of bodies) {
        b.close();
        open.delete(b);
      }
    };
    res.on("close", closeAll);
    if (follow) streamMerged(bodies, res, log);
    else void listMerged(bodies, res, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(new Error(`sluice flows --web: listen on ${listen.host}:${listen.port}: ${e.message}`)),
    );
    server.listen(listen.port, listen.host, resolve);
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    server,
    url: `http://${host}:${a.port}/ui/`,
    async close() {
      for (const b of open) b.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

type Opened = readonly { readonly u: FlowUpstream; readonly b: UpstreamBody }[];

/** listMerged answers GET /flows: every agent's array, merged by end time; 502 when none answered. */
async function listMerged(bodies: Opened, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const results = await Promise.all(
    bodies.map(async ({ u, b }) => {
      const text = readAll(b.body);
      try {
        await b.done;
        return { records: JSON.parse(await text) as FlowRecord[] };
      } catch (e) {
        return { error: `${u.name}: ${(e as Error).message}` };
      }
    }),
  );
  const errors = results.flatMap((r) => (r.error === undefined ? [] : [r.error]));
  for (const e of errors) log(`flows from ${e}`);
  if (errors.length === results.length) {
    res
      .writeHead(502, { "content-type": "application/json" })
      .end(`${JSON.stringify({ error: errors.join("; ") })}\n`);
    return;
  }
  const merged = results.flatMap((r) => r.records ?? []).sort((a, b) => a.end_time - b.end_time);
  res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(merged)}\n`);
}

async function readAll(body: Readable): Promise<string> {
  let text = "";
  body.setEncoding("utf8");
  for await (const chunk of body) text += chunk as string;
  return text;
}

/** streamMerged answers GET /flows?follow=1: whole lines from every agent, as they come. */
function streamMerged(bodies: Opened, res: ServerResponse, log: (line: string) => void): void {
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
  res.flushHeaders();
  let live = bodies.length;
  for (const { u, b } of bodies) {
    void (async () => {
      try {
        let buf = "";
        b.body.setEncoding("utf8");
        for await (const chunk of b.body) {
          buf += chunk as string;
          const i = buf.lastIndexOf("\n");
          if (i < 0) continue;
          res.write(buf.slice(0, i + 1));
          buf = buf.slice(i + 1);
        }
        await b.done;
      } catch (e) {
        log(`follow flows from ${u.name}: ${(e as Error).message}`);
      }
      // The page reconnects when the stream ends, so end it only when every agent is gone.
      if (--live === 0) res.end();
    })();
  }
}
