/**
 * watchStream: one watch request to the API server, its chunked answer read as JSON lines.
 * client-node's Watch cannot be cancelled before the server sends headers (its AbortController
 * is handed back only then) and has no idle limit, so a server that accepts and never answers —
 * or goes silent mid-stream behind a dead load balancer — would hold the reflector forever.
 * Here one controller covers the whole request, and an idle timer (reset by every chunk) cuts a
 * stream that stays silent past the server's own `timeoutSeconds` plus a margin: by then a live
 * server would have ended it.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import fetch from "node-fetch";

/** WatchStreamOptions: the query, the idle limit, a signal that ends the stream quietly. */
export interface WatchStreamOptions {
  readonly query: Readonly<Record<string, string>>;
  /** Cut the stream when no byte arrived for this long (headers included). */
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/** WatchStatusError is a watch request the server answered with a status other than 200. */
export class WatchStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * watchStream calls `onEvent` for each event line until the server ends the stream (resolves),
 * `signal` aborts (resolves), or the request fails, answers non-200 (WatchStatusError), stays
 * idle too long, or `onEvent` throws (rejects with that error).
 */
export async function watchStream(
  kc: KubeConfig,
  path: string,
  onEvent: (type: string, object: unknown) => void,
  options: WatchStreamOptions,
): Promise<void> {
  const server = kc.getCurrentCluster()?.server ?? "";
  const url = new URL(`${server}${path}`);
  url.searchParams.set("watch", "true");
  for (const [k, v] of Object.entries(options.query)) url.searchParams.set(k, v);
  const init = await kc.applyToFetchOptions({});
  const controller = new AbortController();
  const { signal, idleTimeoutMs } = options;
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ((idle = true), controller.abort()), idleTimeoutMs);
  };
  const cancel = (): void => controller.abort();
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted === true) controller.abort();
  const idleError = (cause?: unknown): Error =>
    new Error(
      `watch ${path}: the API server sent nothing for ${idleTimeoutMs} ms (past its own timeoutSeconds); reconnecting`,
      { cause },
    );
  arm();
  try {
    const res = await fetch(url.toString(), {
      ...init,
      method: "GET",
      headers: { ...(init.headers as Record<string, string> | undefined), Accept: "application/json" },
      signal: controller.signal as NonNullable<Parameters<typeof fetch>[1]>["signal"],
    });
    if (res.status !== 200) {
      const text = await res.text();
      let message = `HTTP ${res.status}`;
      try {
        const m = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof m === "string") message = `${res.status}: ${m}`;
      } catch {
        // not a Status body
      }
      throw new WatchStatusError(res.status, `watch ${path}: ${message}`);
    }
    const body = res.body;
    await new Promise<void>((resolve, reject) => {
      let rest = "";
      body.on("data", (chunk: Buffer) => {
        arm();
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          if (line.trim() === "") continue;
          let event: { type?: unknown; object?: unknown };
          try {
            event = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            reject(
              new Error(`watch ${path}: the API server sent a line that is not JSON: ${line.slice(0, 80)}`),
            );
            controller.abort();
            return;
          }
          try {
            if (typeof event.type === "string") onEvent(event.type, event.object);
          } catch (err) {
            // onEvent ends the stream by throwing (an ERROR event); not from inside the emitter.
            reject(err);
            controller.abort();
            return;
          }
        }
      });
      body.on("end", () => resolve());
      body.on("error", (err: Error) => reject(err));
    });
  } catch (err) {
    if (idle) throw idleError(err);
    if (signal?.aborted === true) return;
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", cancel);
    controller.abort();
  }
}
