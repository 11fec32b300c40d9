/**
 * serveFlowWeb serves the flow graph page under `/ui/`: `/ui/` is the page, `/ui/app.js` its
 * script — the browser code and cytoscape bundled from node_modules by esbuild on the first
 * request and kept in memory, so the agent needs no build step and the page loads nothing from
 * the network. Mount it on any node http server in front of the other routes:
 *
 *   createServer((req, res) => { if (!serveFlowWeb(req, res)) routeTheRest(req, res); });
 *
 * The page reads its records from the same server's `GET /flows` (`flowsPath` to change that).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { flowPageHtml } from "./flow-page-html.ts";

/** FlowWebOptions: where the page lives and where it finds the flows. */
export interface FlowWebOptions {
  /** prefix is the path the page is mounted at (default `/ui/`, with the slashes). */
  readonly prefix?: string;
  /** flowsPath is the flow API the page calls (default `/flows`). */
  readonly flowsPath?: string;
}

/** FlowWebHandler answers a request under its prefix and returns true, or returns false. */
export type FlowWebHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const ENTRY = fileURLToPath(new URL("./browser/main.ts", import.meta.url));

let bundle: Promise<string> | undefined;

/** bundleFlowWebScript bundles the page's script once per process (tests call it to warm up). */
export function bundleFlowWebScript(): Promise<string> {
  // esbuild is loaded on the first request, not with every `sluice` command that imports this file.
  bundle ??= import("esbuild")
    .then(({ build }) =>
      build({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        format: "iife",
        platform: "browser",
        target: "es2022",
        minify: true,
        legalComments: "none",
        logLevel: "silent",
      }),
    )
    .then(
      (r) => r.outputFiles[0]!.text,
      (e: unknown) => {
        bundle = undefined; // let the next request try again
        throw new Error(`bundle flow page script ${ENTRY}: ${(e as Error).message}`, { cause: e });
      },
    );
  return bundle;
}

/** createFlowWebHandler makes a handler for the given options (see the file comment). */
export function createFlowWebHandler(options: FlowWebOptions = {}): FlowWebHandler {
  const prefix = options.prefix ?? "/ui/";
  if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
    throw new Error(`create flow web handler: prefix "${prefix}" must start and end with "/"`);
  }
  const bare = prefix.slice(0, -1);
  const scriptPath = `${prefix}app.js`;
  const html = flowPageHtml(options.flowsPath ?? "/flows", scriptPath);
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path !== bare && !path.startsWith(prefix)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end(`method ${req.method} not allowed on ${path}\n`);
      return true;
    }
    if (path === bare) {
      res.writeHead(308, { location: prefix }).end();
    } else if (path === prefix || path === `${prefix}index.html`) {
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" })
        .end(html);
    } else if (path === scriptPath) {
      bundleFlowWebScript().then(
        (js) =>
          res
            .writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" })
            .end(js),
        (e: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${(e as Error).message}\n`),
      );
    } else {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end(`not found: ${path} (the flow page is ${prefix})\n`);
    }
    return true;
  };
}

/** serveFlowWeb is the handler with the defaults: the page at `/ui/`, the flows at `/flows`. */
export const serveFlowWeb: FlowWebHandler = createFlowWebHandler();
