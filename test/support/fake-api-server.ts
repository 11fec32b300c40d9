/**
 * FakeApiServer: an in-test HTTP server (node:http) that speaks the Kubernetes API server's
 * list/watch protocol as clients see it — one global resourceVersion; paged lists (`limit`,
 * `continue`, a token that expires into `410 Gone` with reason Expired); watches as chunked
 * streams of JSON lines from a resourceVersion (`?watch=1&resourceVersion=…&allowWatchBookmarks=true`),
 * BOOKMARK events, an ERROR event with a 410 Status when the resourceVersion was compacted away,
 * streams the server ends (`timeoutSeconds`, or endWatches()); POST/PUT/DELETE/GET with 404 and
 * 409 (AlreadyExists, resourceVersion conflict), and no new resourceVersion for a PUT that changes
 * nothing. down()/up() make an outage: connections are cut and refused until up(). hang() makes
 * a hung server: requests are accepted and read, and never answered, until answer().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

interface Stored {
  readonly collection: string;
  readonly namespace: string | undefined;
  readonly object: Record<string, unknown>;
}

interface HistoryEvent extends Stored {
  readonly rv: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
}

interface Watcher {
  readonly collection: string;
  readonly namespace: string | undefined;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

/** RequestRecord is one request the server saw (for assertions on the protocol). */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
}

function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

function parsePath(
  pathname: string,
): { collection: string; namespace: string | undefined; name: string | undefined } | undefined {
  const parts = pathname
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  let rest: string[];
  let gv: string;
  if (parts[0] === "api" && parts.length >= 3) [gv, rest] = [parts[1] ?? "", parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 4) [gv, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const plural = rest[0];
  if (plural === undefined || rest.length > 2) return undefined;
  return { collection: `${gv}/${plural}`, namespace, name: rest[1] };
}

function withoutRv(o: Record<string, unknown>): string {
  const meta = { ...(o["metadata"] as Record<string, unknown>) };
  delete meta["resourceVersion"];
  return JSON.stringify({ ...o, metadata: meta });
}

/** FakeApiServer: see the file comment. `collection` is `<group/version or v1>/<plural>`, e.g. `v1/services`. */
export class FakeApiServer {
  readonly requests: RequestRecord[] = [];
  readonly #objects = new Map<string, Stored>();
  readonly #history: HistoryEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #sockets = new Set<Socket>();
  readonly #unserved = new Set<string>();
  readonly #hung = new Set<ServerResponse>();
  #hanging = false;
  #rv = 100;
  #compacted = 0;
  #expireContinue = 0;
  #server: Server;
  #port = 0;

  constructor() {
    this.#server = this.#create();
  }

  #create(): Server {
    const server = createServer((req, res) => this.#handle(req, res));
    server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
    return server;
  }

  /** start listens on a free loopback port (or the previous one after down()). */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    const addr = this.#server.address();
    if (addr !== null && typeof addr === "object") this.#port = addr.port;
  }

  /** url is the server's base URL. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** kubeConfig is a client config pointing at this server. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: "fake", server: this.url, skipTLSVerify: true }, { name: "fake" });
    return kc;
  }

  /** resourceVersion is the current global resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** down cuts every connection and stops listening: clients get connection refused. */
  async down(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server = this.#create();
  }

  /** up listens again on the same port. */
  async up(): Promise<void> {
    await this.start();
  }

  /** stop ends everything. */
  async stop(): Promise<void> {
    await this.down();
  }

  /** hang leaves every new request unanswered (the connection stays open) until answer(). */
  hang(): void {
    this.#hanging = true;
  }

  /** answer ends hang(): new requests are served again (the hung ones stay unanswered until the client gives up). */
  answer(): void {
    this.#hanging = false;
  }

  /** hungRequests is how many unanswered requests the clients still hold open. */
  get hungRequests(): number {
    return this.#hung.size;
  }

  /** compact forgets history up to now: watches from an older resourceVersion get 410 Gone, as do old continue tokens. */
  compact(): void {
    this.#compacted = this.#rv;
    this.#history.length = 0;
  }

  /** expireNextContinues makes the next `n` continue tokens answer 410 Expired (the list snapshot was compacted). */
  expireNextContinues(n: number): void {
    this.#expireContinue = n;
  }

  /** unserve makes a collection answer 404, as for a CRD that is not installed. */
  unserve(collection: string): void {
    this.#unserved.add(collection);
  }

  /** endWatches ends every open watch stream cleanly, as the server does at `timeoutSeconds`. */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** bookmark sends a BOOKMARK with the current resourceVersion to watches that asked for them. */
  bookmark(): number {
    this.#rv++;
    for (const w of this.#watchers) {
      if (w.bookmarks)
        w.res.write(
          `${JSON.stringify({ type: "BOOKMARK", object: { kind: "Bookmark", apiVersion: "v1", metadata: { resourceVersion: String(this.#rv) } } })}\n`,
        );
    }
    return this.#rv;
  }

  /** put stores an object directly (another client's write); works while down. Returns its new resourceVersion. */
  put(collection: string, object: Record<string, unknown>): string {
    const meta = object["metadata"] as { name: string; namespace?: string };
    return this.#write(collection, meta.namespace, { ...object });
  }

  /** remove deletes an object directly; false when absent. */
  remove(collection: string, name: string, namespace?: string): boolean {
    const id = `${collection}/${namespace ?? ""}/${name}`;
    const old = this.#objects.get(id);
    if (old === undefined) return false;
    this.#objects.delete(id);
    const rv = ++this.#rv;
    const object = {
      ...old.object,
      metadata: { ...(old.object["metadata"] as object), resourceVersion: String(rv) },
    };
    this.#record({ ...old, object, rv, type: "DELETED" });
    return true;
  }

  #write(collection: string, namespace: string | undefined, object: Record<string, unknown>): string {
    const meta = { ...(object["metadata"] as Record<string, unknown>) };
    const id = `${collection}/${namespace ?? ""}/${String(meta["name"])}`;
    const old = this.#objects.get(id);
    if (
      old !== undefined &&
      withoutRv(old.object) ===
        withoutRv({
          ...object,
          metadata: { ...meta, uid: (old.object["metadata"] as Record<string, unknown>)["uid"] },
        })
    ) {
      return String((old.object["metadata"] as Record<string, unknown>)["resourceVersion"]);
    }
    const rv = ++this.#rv;
    meta["resourceVersion"] = String(rv);
    meta["uid"] = (old?.object["metadata"] as Record<string, unknown> | undefined)?.["uid"] ?? `uid-${rv}`;
    if (namespace !== undefined) meta["namespace"] = namespace;
    const stored: Stored = { collection, namespace, object: { ...object, metadata: meta } };
    this.#objects.set(id, stored);
    this.#record({ ...stored, rv, type: old === undefined ? "ADDED" : "MODIFIED" });
    return String(rv);
  }

  #record(event: HistoryEvent): void {
    this.#history.push(event);
    for (const w of this.#watchers)
      if (this.#matches(w, event))
        w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  #matches(w: { collection: string; namespace: string | undefined }, s: Stored): boolean {
    return s.collection === w.collection && (w.namespace === undefined || s.namespace === w.namespace);
  }

  #send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams });
    if (this.#hanging) {
      this.#hung.add(res);
      res.on("close", () => this.#hung.delete(res));
      req.resume();
      return;
    }
    const target = parsePath(url.pathname);
    if (target === undefined || this.#unserved.has(target.collection))
      return this.#send(
        res,
        404,
        statusBody(404, "NotFound", `the server could not find the requested resource (${url.pathname})`),
      );
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
      this.#route(req.method ?? "GET", url.searchParams, target, body, res);
    });
  }

  #route(
    method: string,
    q: URLSearchParams,
    t: { collection: string; namespace: string | undefined; name: string | undefined },
    body: Record<string, unknown> | undefined,
    res: ServerResponse,
  ): void {
    const id = `${t.collection}/${t.namespace ?? ""}/${t.name ?? ""}`;
    const notFound = (): void =>
      this.#send(
        res,
        404,
        statusBody(404, "NotFound", `${t.collection.split("/").at(-1)} "${t.name}" not found`),
      );
    if (t.name === undefined && method === "GET") {
      if (q.get("watch") === "1" || q.get("watch") === "true") return this.#watch(q, t, res);
      return this.#list(q, t, res);
    }
    if (t.name === undefined && method === "POST") {
      const name = String((body?.["metadata"] as Record<string, unknown> | undefined)?.["name"]);
      if (this.#objects.has(`${t.collection}/${t.namespace ?? ""}/${name}`))
        return this.#send(res, 409, statusBody(409, "AlreadyExists", `"${name}" already exists`));
      this.#write(t.collection, t.namespace, body ?? {});
      return this.#send(res, 201, this.#objects.get(`${t.collection}/${t.namespace ?? ""}/${name}`)?.object);
    }
    const old = this.#objects.get(id);
    if (method === "GET") return old === undefined ? notFound() : this.#send(res, 200, old.object);
    if (method === "DELETE") {
      if (old === undefined) return notFound();
      this.remove(t.collection, t.name ?? "", t.namespace);
      return this.#send(res, 200, old.object);
    }
    if (method === "PUT") {
      if (old === undefined) return notFound();
      const sent = (body?.["metadata"] as Record<string, unknown> | undefined)?.["resourceVersion"];
      if (
        sent !== undefined &&
        sent !== (old.object["metadata"] as Record<string, unknown>)["resourceVersion"]
      ) {
        return this.#send(
          res,
          409,
          statusBody(
            409,
            "Conflict",
            "the object has been modified; please apply your changes to the latest version and try again",
          ),
        );
      }
      this.#write(t.collection, t.namespace, body ?? {});
      return this.#send(res, 200, this.#objects.get(id)?.object);
    }
    this.#send(res, 405, statusBody(405, "MethodNotAllowed", method));
  }

  #list(
    q: URLSearchParams,
    t: { collection: string; namespace: string | undefined },
    res: ServerResponse,
  ): void {
    const limit = Number(q.get("limit") ?? "0");
    let offset = 0;
    let rv = this.#rv;
    const cont = q.get("continue");
    if (cont !== null && cont !== "") {
      const token = JSON.parse(Buffer.from(cont, "base64").toString("utf8")) as {
        rv: number;
        offset: number;
      };
      if (this.#expireContinue > 0 || token.rv < this.#compacted) {
        this.#expireContinue = Math.max(0, this.#expireContinue - 1);
        return this.#send(
          res,
          410,
          statusBody(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
          ),
        );
      }
      [offset, rv] = [token.offset, token.rv];
    }
    const all = [...this.#objects.values()]
      .filter((s) => this.#matches(t, s))
      .sort((a, b) => (withoutRv(a.object) < withoutRv(b.object) ? -1 : 1));
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const more = limit > 0 && offset + limit < all.length;
    const metadata = {
      resourceVersion: String(rv),
      ...(more
        ? { continue: Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString("base64") }
        : {}),
    };
    // Items of a list carry no apiVersion/kind, as the real server sends them.
    const items = page.map((s) => {
      const { apiVersion: _a, kind: _k, ...rest } = s.object;
      return rest;
    });
    this.#send(res, 200, { kind: "List", apiVersion: "v1", metadata, items });
  }

  #watch(
    q: URLSearchParams,
    t: { collection: string; namespace: string | undefined },
    res: ServerResponse,
  ): void {
    const from = Number(q.get("resourceVersion") ?? "0");
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    if (from < this.#compacted) {
      res.end(
        `${JSON.stringify({ type: "ERROR", object: statusBody(410, "Expired", `too old resource version: ${from} (${this.#compacted})`) })}\n`,
      );
      return;
    }
    for (const e of this.#history)
      if (e.rv > from && this.#matches(t, e))
        res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const w: Watcher = {
      ...t,
      bookmarks: q.get("allowWatchBookmarks") === "true" || q.get("allowWatchBookmarks") === "1",
      res,
    };
    this.#watchers.add(w);
    const timeout = Number(q.get("timeoutSeconds") ?? "0");
    const timer =
      timeout > 0 ? setTimeout(() => (this.#watchers.delete(w), res.end()), timeout * 1000) : undefined;
    res.on("close", () => {
      clearTimeout(timer);
      this.#watchers.delete(w);
    });
  }
}
