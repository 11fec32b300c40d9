/**
 * KubeConnection: how the `kubernetes` datastore reaches the API server. The address follows
 * Calico's eBPF how-to: the agent must talk to the API server directly, not through the
 * `kubernetes` Service's ClusterIP (which Sluice itself implements, so it is not there while
 * Sluice starts). In a pod that is KUBERNETES_SERVICE_HOST/PORT as the
 * `kubernetes-services-endpoint` ConfigMap sets them (with the service-account token), else a
 * kubeconfig. KubeConfig (@kubernetes/client-node) does auth and TLS; requests go through the
 * fetch it configures.
 */
import { KubeConfig } from "@kubernetes/client-node";
import fetch from "node-fetch";

/** KubeTarget says where to look: a kubeconfig file and context; neither means in-cluster, else the default kubeconfig. */
export interface KubeTarget {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** KubeResponse is a response status and its parsed JSON body (undefined when empty or not JSON). */
export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

/** loadKubeConfig builds the client config; throws "load kubeconfig ...: <why>" when there is none. */
export function loadKubeConfig(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig !== undefined) kc.loadFromFile(target.kubeconfig);
    else if (env["KUBERNETES_SERVICE_HOST"] !== undefined && env["KUBERNETES_SERVICE_HOST"] !== "")
      kc.loadFromCluster();
    else kc.loadFromDefault();
    if (target.context !== undefined) kc.setCurrentContext(target.context);
  } catch (err) {
    throw new Error(
      `load kubeconfig ${JSON.stringify(target.kubeconfig ?? "in-cluster/default")}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null)
    throw new Error(
      `load kubeconfig ${JSON.stringify(target.kubeconfig ?? "default")}: no current cluster${target.context !== undefined ? ` for context ${JSON.stringify(target.context)}` : ""}`,
    );
  return kc;
}

/** apiServerHost is the host part of the current cluster's server URL (no brackets). */
export function apiServerHost(kc: KubeConfig): {
  readonly host: string;
  readonly port: number;
  readonly server: string;
} {
  const server = kc.getCurrentCluster()?.server ?? "";
  const url = new URL(server);
  const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port, server };
}

/** KubeRequestOptions: a JSON body, how long to wait for the whole answer, and a signal that cancels. */
export interface KubeRequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  /** Give up when the status and body have not both arrived by then (default REQUEST_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * REQUEST_TIMEOUT_MS bounds one request: lists are paged (500 objects), so an API server that has
 * not answered a page in 30 s is hung or cut off, and the caller's retry (with back-off) is the
 * better use of the time. Without it a server that accepts and never answers hangs the agent.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * kubeRequest sends one request to the API server; network failures and timeouts reject, HTTP
 * errors resolve with their status. The timeout covers the headers and the body.
 */
export async function kubeRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  options: KubeRequestOptions = {},
): Promise<KubeResponse> {
  const server = kc.getCurrentCluster()?.server ?? "";
  const init = await kc.applyToFetchOptions({});
  const { body, contentType = "application/json", timeoutMs = REQUEST_TIMEOUT_MS, signal } = options;
  const headers = {
    ...(init.headers as Record<string, string> | undefined),
    Accept: "application/json",
    ...(body !== undefined ? { "Content-Type": contentType } : {}),
  };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs);
  const cancel = (): void => controller.abort();
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted === true) controller.abort();
  try {
    const res = await fetch(`${server}${path}`, {
      ...init,
      method,
      headers,
      // node-fetch's own AbortSignal type predates the DOM one; they are the same at run time.
      signal: controller.signal as NonNullable<Parameters<typeof fetch>[1]>["signal"],
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  } catch (err) {
    if (timedOut)
      throw new Error(`${method} ${server}${path}: no answer from the API server within ${timeoutMs} ms`, {
        cause: err,
      });
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", cancel);
  }
}

/** statusMessage is the message of a Kubernetes Status body, else the HTTP status. */
export function statusMessage(res: KubeResponse): string {
  const b = res.body as { message?: unknown } | undefined;
  return typeof b?.message === "string" ? `${res.status}: ${b.message}` : `HTTP ${res.status}`;
}
