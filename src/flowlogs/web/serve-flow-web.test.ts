import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createFlowWebHandler, serveFlowWeb } from "./serve-flow-web.ts";

async function withServer(
  handler: typeof serveFlowWeb,
  body: (base: string) => Promise<void>,
): Promise<void> {
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(418).end("not the page\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

test("serveFlowWeb serves the page and its bundled script under /ui/ and leaves other paths alone", async () => {
  await withServer(serveFlowWeb, async (base) => {
    const bare = await fetch(`${base}/ui`, { redirect: "manual" });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get("location"), "/ui/");
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /<body data-flows-path="\/flows">/);
    assert.match(html, /<script src="\/ui\/app.js">/);
    assert.doesNotMatch(html, /https?:\/\//, "the page loads nothing from another origin");
    const script = await fetch(`${base}/ui/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/);
    const js = await script.text();
    assert.ok(js.length > 200_000, `cytoscape is bundled in (${js.length} bytes)`);
    assert.doesNotThrow(() => new Function(js), "the bundle parses as a classic script");
    assert.doesNotMatch(js, /\bimport\s*\(|^import /m, "no module loads left for the browser to fetch");
    assert.equal((await fetch(`${base}/ui/other.css`)).status, 404);
    assert.equal((await fetch(`${base}/ui/`, { method: "POST" })).status, 405);
    assert.equal((await fetch(`${base}/flows`)).status, 418, "not the handler's path");
    assert.equal((await fetch(`${base}/uix`)).status, 418);
  });
});

test("createFlowWebHandler() mounts the page at another prefix and points it at another flow API", async () => {
  const handler = createFlowWebHandler({ prefix: "/flows/ui/", flowsPath: "/api/flows?node=a&b" });
  await withServer(handler, async (base) => {
    const html = await (await fetch(`${base}/flows/ui/index.html`)).text();
    assert.match(html, /data-flows-path="\/api\/flows\?node=a&amp;b"/);
    assert.match(html, /<script src="\/flows\/ui\/app.js">/);
    assert.equal((await fetch(`${base}/ui/`)).status, 418);
  });
  assert.throws(() => createFlowWebHandler({ prefix: "/ui" }), /prefix "\/ui" must start and end with "\/"/);
});
