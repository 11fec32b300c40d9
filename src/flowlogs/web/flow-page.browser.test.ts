/**
 * The flow graph page in a real browser: Debian's chromium, driven by puppeteer-core (which
 * downloads nothing), against a node http server that mounts serveFlowWeb beside a fake
 * `GET /flows` serving the fixture. It reads cytoscape's state from the page, the pixels on its
 * canvas and the DOM, clicks like a user, streams records (also across a dropped stream), and leaves
 * its screenshots in <tmpdir>/sluice-flow-page (the last run's).
 * Without chromium the test says why it cannot run; under CI (CI set) that is a failure, because
 * scripts/setup.sh installs chromium.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import puppeteer from "puppeteer-core";
import type { Browser, Page } from "puppeteer-core";
import type { FlowRecordView } from "./flow-record-view.ts";
import { serveFlowWeb } from "./serve-flow-web.ts";
import { FLOW_RECORDS, LIVE_RECORD } from "./testdata/flow-records.ts";

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium";
// Generous: CI runs this beside the other suites on two shared cores.
const WAIT = { timeout: 60_000 } as const;
const RED = [217, 48, 37] as const;
const GREEN = [46, 158, 79] as const;

const PAY = "pod:payments/pay-api-66f-qwe12";
const DB = "pod:shop/db-0";
const FRONTEND = "pod:shop/frontend-7d9f-abcde";
const DENY_EDGE = `${PAY}->${DB}|deny`;
const ALLOW_EDGE = `${FRONTEND}->pod:shop/cart-5c4b-xyz12|allow`;
const PROMETHEUS = "pod:monitoring/prometheus-0";

/** FakeFlowApi is the agent's flow API as the page sees it: history plus a follow stream. */
function startServer(records: readonly FlowRecordView[]) {
  const followers = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (serveFlowWeb(req, res)) return;
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/flows") {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get("follow") === "1") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.flushHeaders();
      followers.add(res);
      res.on("close", () => followers.delete(res));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(records));
  });
  return {
    server,
    followers,
    dropFollowers(): void {
      for (const f of followers) f.end();
    },
    append(r: FlowRecordView): void {
      for (const f of followers) f.write(`${JSON.stringify(r)}\n`);
    },
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close(): Promise<void> {
      for (const f of followers) f.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

type Rgb = readonly [number, number, number];
const near = (a: Rgb, b: Rgb): boolean => a.every((v, i) => Math.abs(v - b[i]!) <= 40);

/** edgePixels samples the canvas along an edge (away from its label) and returns the colours. */
function edgePixels(page: Page, id: string): Promise<Rgb[]> {
  return page.evaluate((edgeId) => {
    const cy = window.sluiceFlowWeb!.cy;
    const e = cy.getElementById(edgeId);
    const a = e.renderedSourceEndpoint();
    const b = e.renderedTargetEndpoint();
    const dpr = window.devicePixelRatio;
    const out: [number, number, number][] = [];
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>("#graph canvas")) {
      const ctx = canvas.getContext("2d");
      if (ctx === null) continue;
      for (let t = 0.1; t <= 0.4; t += 0.01) {
        const x = Math.round((a.x + (b.x - a.x) * t) * dpr);
        const y = Math.round((a.y + (b.y - a.y) * t) * dpr);
        const d = ctx.getImageData(x, y, 1, 1).data;
        if (d[3]! > 200) out.push([d[0]!, d[1]!, d[2]!]);
      }
    }
    return out;
  }, id);
}

/** clickEdge clicks with the mouse on a point of an edge that no node covers. */
async function clickEdge(page: Page, id: string): Promise<void> {
  const at = await page.evaluate((edgeId) => {
    const cy = window.sluiceFlowWeb!.cy;
    const e = cy.getElementById(edgeId);
    const a = e.renderedSourceEndpoint();
    const b = e.renderedTargetEndpoint();
    const boxes = cy.nodes(":childless").map((n) => n.renderedBoundingBox({ includeLabels: true }));
    const box = document.getElementById("graph")!.getBoundingClientRect();
    for (let t = 0.2; t <= 0.8; t += 0.02) {
      const x = a.x + (b.x - a.x) * t;
      const y = a.y + (b.y - a.y) * t;
      const covered = boxes.some((r) => x > r.x1 - 4 && x < r.x2 + 4 && y > r.y1 - 4 && y < r.y2 + 4);
      if (!covered) return { x: box.left + x, y: box.top + y };
    }
    return undefined;
  }, id);
  assert.ok(at, `every point of edge ${id} is under a node`);
  await page.mouse.click(at.x, at.y);
}

async function clickNode(page: Page, id: string): Promise<void> {
  const at = await page.evaluate((nodeId) => {
    const p = window.sluiceFlowWeb!.cy.getElementById(nodeId).renderedPosition();
    const box = document.getElementById("graph")!.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }, id);
  await page.mouse.click(at.x, at.y);
}

const panelRows = (page: Page): Promise<string[]> =>
  page.$$eval("#panel tbody tr", (rows) => rows.map((r) => (r as HTMLElement).innerText));

test("the flow page draws namespaces, pods and verdict-coloured edges, shows records on click and follows the stream", async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `chromium not found at ${CHROMIUM}: install Debian's chromium (scripts/setup.sh does) or set SLUICE_CHROMIUM`;
    if (process.env.CI) assert.fail(`cannot run the browser test under CI: ${why}`);
    t.skip(why);
    return;
  }
  const api = startServer(FLOW_RECORDS);
  const base = await api.listen();
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"],
      defaultViewport: { width: 1500, height: 900, deviceScaleFactor: 1 },
      timeout: 60_000,
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("request", (r) => requests.push(r.url()));

    await page.goto(`${base}/ui/`, { waitUntil: "load" });
    try {
      await page.waitForFunction(() => (window.sluiceFlowWeb?.cy.edges().length ?? 0) >= 6, WAIT);
      await page.waitForFunction(() => document.getElementById("status")?.textContent === "live", WAIT);
    } catch (e) {
      const shown = await page.$eval("body", (b) => (b as HTMLElement).innerText).catch(() => "?");
      throw new Error(`the page did not draw the fixture: ${shown}\n${problems.join("\n")}`, { cause: e });
    }

    // One directory, replaced by each run (a new one per run piled up in /tmp: two PNGs a run).
    const shots = join(tmpdir(), "sluice-flow-page");
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots);
    t.diagnostic(`screenshots: ${shots}`);
    await page.screenshot({ path: join(shots, "loaded.png") as `${string}.png` });

    // The graph as cytoscape holds it: pods inside their namespaces, one edge per verdict.
    const state = await page.evaluate(() => {
      const cy = window.sluiceFlowWeb!.cy;
      return {
        nodes: cy
          .nodes()
          .map((n) => `${n.id()} in ${n.parent().first().id() || "-"}`)
          .sort(),
        edges: cy
          .edges()
          .map((e) => `${e.id()} ${e.style("line-color")}`)
          .sort(),
      };
    });
    assert.deepEqual(state.nodes, [
      "host:node-1 in -",
      "net:pub in -",
      "ns:payments in -",
      "ns:shop in -",
      `${PAY} in ns:payments`,
      "pod:shop/cart-5c4b-xyz12 in ns:shop",
      `${DB} in ns:shop`,
      `${FRONTEND} in ns:shop`,
      "svc:shop/search in ns:shop",
    ]);
    assert.ok(state.edges.includes(`${DENY_EDGE} rgb(${RED.join(",")})`), state.edges.join("\n"));
    assert.ok(state.edges.includes(`${ALLOW_EDGE} rgb(${GREEN.join(",")})`), state.edges.join("\n"));
    assert.ok(state.edges.includes(`${FRONTEND}->svc:shop/search|deny rgb(${RED.join(",")})`));
    assert.equal(state.edges.length, 6);

    // What is on the screen: red pixels along the deny edge, green along an allow edge.
    const denyPixels = await edgePixels(page, DENY_EDGE);
    assert.ok(
      denyPixels.some((p) => near(p, RED)),
      `no red along the deny edge: ${JSON.stringify(denyPixels)}`,
    );
    assert.ok(!denyPixels.some((p) => near(p, GREEN)), "the deny edge has no green");
    const allowPixels = await edgePixels(page, ALLOW_EDGE);
    assert.ok(
      allowPixels.some((p) => near(p, GREEN)),
      `no green along the allow edge: ${JSON.stringify(allowPixels)}`,
    );
    assert.match(
      await page.$eval("#counts", (e) => e.textContent ?? ""),
      /^7 of 7 records · 9 nodes · 6 edges$/,
    );
    assert.ok(await page.$eval("#panel", (e) => (e as HTMLElement).hidden), "no panel before a click");

    // Click the deny edge: its one record, with the policy that denied it.
    await clickEdge(page, DENY_EDGE);
    await page.waitForFunction(() => !(document.getElementById("panel") as HTMLElement).hidden, WAIT);
    assert.equal(
      await page.$eval("#panel h2", (e) => (e as HTMLElement).innerText),
      "DENY\npay-api-66f-qwe12 → db-0".replace("\n", ""),
    );
    const rows = await panelRows(page);
    assert.equal(rows.length, 1, rows.join("\n---\n"));
    for (const text of [
      "payments/pay-api-66f-qwe12",
      "shop/db-0",
      "198.19.1.12:5432",
      "default|shop/db-ingress|deny|1",
      "(policy)",
      "reported by dst",
      "app=pay-api",
      "app=db",
    ]) {
      assert.ok(rows[0]!.includes(text), `the record shows "${text}": ${rows[0]}`);
    }

    // A record on the follow stream: a new namespace, pod and edge appear without a reload.
    assert.ok(api.followers.size > 0, "the page follows the stream");
    api.append(LIVE_RECORD);
    await page.waitForFunction(
      (id) => !window.sluiceFlowWeb!.cy.getElementById(id).empty(),
      WAIT,
      PROMETHEUS,
    );
    const live = await page.evaluate((id) => {
      const cy = window.sluiceFlowWeb!.cy;
      const n = cy.getElementById(id);
      return { parent: n.parent().first().id(), edges: n.connectedEdges().map((e) => e.id()) };
    }, PROMETHEUS);
    assert.deepEqual(live, { parent: "ns:monitoring", edges: [`${PROMETHEUS}->${FRONTEND}|allow`] });
    await page.waitForFunction(
      () => document.getElementById("counts")?.textContent?.startsWith("8 of 8 records"),
      WAIT,
    );
    assert.equal((await panelRows(page)).length, 1, "the open panel still shows the deny edge");

    // The agent restarts: the stream ends, the page says so, reconnects, and keeps following.
    api.dropFollowers();
    await page.waitForFunction(() => document.getElementById("status")?.className === "error", WAIT);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live", WAIT);
    assert.ok(api.followers.size > 0, "the page followed again");
    api.append({ ...LIVE_RECORD, start_time: LIVE_RECORD.end_time, end_time: LIVE_RECORD.end_time + 15 });
    await page.waitForFunction(
      () => document.getElementById("counts")?.textContent?.startsWith("9 of 9 records"),
      WAIT,
    );

    // Click a node: every record to or from it, the streamed one included.
    await clickNode(page, FRONTEND);
    await page.waitForFunction(
      () => document.querySelector("#panel h2")?.textContent === "pod frontend-7d9f-abcde",
      WAIT,
    );
    const nodeRows = await panelRows(page);
    assert.equal(nodeRows.length, 7, nodeRows.join("\n---\n"));
    assert.ok(nodeRows.some((r) => r.includes("monitoring/prometheus-0")));

    // The filter box narrows the graph; a bad term is named, and the graph stays as it was.
    await page.type("#filter", "action:deny");
    await page.waitForFunction(() => window.sluiceFlowWeb!.cy.edges().length === 2, WAIT);
    assert.deepEqual(
      await page.evaluate(() => window.sluiceFlowWeb!.cy.edges().map((e) => e.data("action") as string)),
      ["deny", "deny"],
    );
    const setFilter = (text: string): Promise<void> =>
      page.$eval(
        "#filter",
        (e, value) => {
          (e as HTMLInputElement).value = value;
          e.dispatchEvent(new Event("input"));
        },
        text,
      );
    await setFilter("action:deny verdict:x");
    await page.waitForFunction(() => document.getElementById("filter-error")?.textContent !== "", WAIT);
    assert.match(await page.$eval("#filter-error", (e) => e.textContent ?? ""), /unknown key "verdict"/);
    assert.equal(await page.evaluate(() => window.sluiceFlowWeb!.cy.edges().length), 2);
    await setFilter("");
    await page.waitForFunction(() => window.sluiceFlowWeb!.cy.edges().length === 7, WAIT);

    // The picture for people (and the README): the deny edge's records open beside the graph.
    await clickEdge(page, DENY_EDGE);
    await page.waitForFunction(
      () => document.querySelector("#panel h2")?.textContent?.includes("db-0"),
      WAIT,
    );
    await page.screenshot({ path: join(shots, "flow-graph.png") as `${string}.png` });

    assert.deepEqual(problems, [], "no errors in the page");
    const foreign = requests.filter((u) => !u.startsWith(base));
    assert.deepEqual(foreign, [], "the page loads nothing from the network beyond the agent");
  } finally {
    await browser?.close();
    await api.close();
  }
});
