/**
 * Reflector: keeps one kind's objects in step with the API server the way client-go's reflector
 * does — list (in pages), then watch from the list's resourceVersion with bookmarks, following
 * every event's resourceVersion; a stream the server ends (its timeout) is re-opened from the
 * last resourceVersion; `410 Gone` (an ERROR event, a 410 answer, or an expired `continue` while
 * listing) means relist; any other failure backs off and retries. While the API server is
 * unreachable nothing is reported, so what the sink holds (and the dataplane built from it)
 * stays exactly as it was; the relist afterwards hands the sink the full set, and the sink
 * reports only what differs. Nothing waits on the server unbounded: a list page has a request
 * timeout, a watch an idle limit of its timeoutSeconds plus a margin, and stop() cancels
 * whatever is in flight.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { BackOff, type BackOffOptions } from "./back-off.ts";
import { kubeRequest, statusMessage } from "./kube-connection.ts";
import { collectionPath, type KubeKind } from "./kube-kinds.ts";
import { watchStream, WatchStatusError } from "./kube-watch.ts";

/** ReflectorSink receives a kind's objects: the whole set after each list, then single changes. */
export interface ReflectorSink {
  replace(kind: KubeKind, items: readonly unknown[]): void;
  upsert(kind: KubeKind, object: unknown): void;
  remove(kind: KubeKind, object: unknown): void;
  /** notServed: the API server does not serve this kind (no CRD); retried at the longest back-off. */
  notServed(kind: KubeKind): void;
}

/** ReflectorOptions tune paging, the server-side watch timeout and back-off (tests shorten them). */
export interface ReflectorOptions {
  readonly pageSize?: number;
  /** timeoutSeconds asked of each watch; client-go picks 5–10 minutes. */
  readonly watchTimeoutSeconds?: number;
  /** How long past timeoutSeconds a silent watch is given before it is cut (default 30 s). */
  readonly watchIdleMarginMs?: number;
  /** Per-request timeout for list pages and single requests (default REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  readonly backOff?: BackOffOptions;
  readonly debug?: (message: string) => void;
}

/** ReflectorStats counts what the reflector did, for tests and metrics. */
export interface ReflectorStats {
  lists: number;
  relistsAfterGone: number;
  watches: number;
  errors: number;
  bookmarks: number;
}

class GoneError extends Error {}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function resourceVersionOf(o: unknown): string | undefined {
  const rv = (o as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata?.resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

/** Reflector runs one kind's list/watch loop until stop(). */
export class Reflector {
  readonly stats: ReflectorStats = { lists: 0, relistsAfterGone: 0, watches: 0, errors: 0, bookmarks: 0 };
  readonly #backOff: BackOff;
  #resourceVersion: string | undefined;
  #stopped = false;
  /** Cancels the request or watch in flight when stop() is called. */
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    readonly kc: KubeConfig,
    readonly kind: KubeKind,
    readonly sink: ReflectorSink,
    readonly options: ReflectorOptions = {},
  ) {
    this.#backOff = new BackOff(options.backOff);
  }

  /** start begins the loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** stop ends the loop and any open watch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
  }

  #debug(message: string): void {
    this.options.debug?.(`${this.kind.kind}: ${message}`);
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => (clearTimeout(t), resolve());
    });
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) {
          this.#resourceVersion = await this.#list();
          this.#backOff.reset();
        }
        const useful = await this.#watch(this.#resourceVersion);
        if (useful) this.#backOff.reset();
        else await this.#sleep(this.#backOff.next());
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof GoneError) {
          this.stats.relistsAfterGone++;
          this.#debug(`${err.message}; relisting`);
          this.#resourceVersion = undefined;
          continue;
        }
        if (err instanceof HttpError && err.status === 404 && this.#resourceVersion === undefined) {
          this.#debug(`not served by the API server (${err.message}); retrying in ${this.#backOff.maxMs} ms`);
          this.sink.notServed(this.kind);
          await this.#sleep(this.#backOff.maxMs);
          continue;
        }
        this.stats.errors++;
        const delay = this.#backOff.next();
        this.#debug(
          `${(err as Error).message}; retrying in ${delay} ms (the last known state stays in force)`,
        );
        await this.#sleep(delay);
      }
    }
  }

  /** #list reads every page and hands the sink the whole set; returns the list's resourceVersion. */
  async #list(): Promise<string> {
    this.stats.lists++;
    const items: unknown[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const query = new URLSearchParams({
        limit: String(this.options.pageSize ?? 500),
        ...(cont !== undefined ? { continue: cont } : {}),
      });
      const res = await kubeRequest(this.kc, "GET", `${collectionPath(this.kind)}?${query.toString()}`, {
        signal: this.#stop.signal,
        ...(this.options.requestTimeoutMs !== undefined ? { timeoutMs: this.options.requestTimeoutMs } : {}),
      });
      if (res.status === 410) throw new GoneError(`list: ${statusMessage(res)}`);
      if (res.status !== 200)
        throw new HttpError(res.status, `list ${collectionPath(this.kind)}: ${statusMessage(res)}`);
      const body = res.body as {
        items?: unknown[];
        metadata?: { resourceVersion?: string; continue?: string };
      };
      items.push(...(body.items ?? []));
      rv = body.metadata?.resourceVersion;
      cont =
        body.metadata?.continue !== undefined && body.metadata.continue !== ""
          ? body.metadata.continue
          : undefined;
    } while (cont !== undefined);
    if (rv === undefined)
      throw new Error(`list ${collectionPath(this.kind)}: the answer has no resourceVersion`);
    this.sink.replace(this.kind, items);
    return rv;
  }

  /**
   * #watch streams changes from `rv` until the server ends the stream (true when it delivered
   * something, so the next one opens at once) or fails (throws; GoneError means relist).
   */
  async #watch(rv: string): Promise<boolean> {
    this.stats.watches++;
    const opened = Date.now();
    let delivered = false;
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const onEvent = (type: string, object: unknown): void => {
      if (type === "ERROR") {
        const status = object as { code?: number; message?: string };
        throw status.code === 410
          ? new GoneError(`watch: 410 Gone: ${status.message ?? "resourceVersion too old"}`)
          : new Error(`watch: ${status.code ?? "?"}: ${status.message ?? "error event"}`);
      }
      const next = resourceVersionOf(object);
      if (next !== undefined) this.#resourceVersion = next;
      delivered = true;
      if (type === "BOOKMARK") this.stats.bookmarks++;
      else if (type === "ADDED" || type === "MODIFIED") this.sink.upsert(this.kind, object);
      else if (type === "DELETED") this.sink.remove(this.kind, object);
    };
    try {
      await watchStream(this.kc, collectionPath(this.kind), onEvent, {
        query: { resourceVersion: rv, allowWatchBookmarks: "true", timeoutSeconds: String(timeoutSeconds) },
        idleTimeoutMs: timeoutSeconds * 1000 + (this.options.watchIdleMarginMs ?? 30_000),
        signal: this.#stop.signal,
      });
    } catch (err) {
      if (err instanceof WatchStatusError && err.status === 410) throw new GoneError("watch: 410 Gone");
      throw err;
    }
    // A quiet stream the server ended after a while was fine; one that ended at once is retried after a pause.
    return delivered || Date.now() - opened > 1000;
  }
}
