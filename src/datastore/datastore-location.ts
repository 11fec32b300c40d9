/**
 * DatastoreLocation: which backend holds the resources and where — a directory (`file`), an API
 * server (`kubernetes`, through a kubeconfig or the in-cluster environment) or an etcd cluster
 * (`etcd`, endpoints and a key prefix). One value travels from the CLI's contexts and flags, or
 * the agent's flags, to openDatastore. Pure.
 *
 * The one-string form (`--datastore`, SLUICE_DATASTORE):
 *   /etc/sluice/datastore, ./dir, file:/dir               a directory of YAML manifests
 *   kubernetes                                            in-cluster, else $KUBECONFIG / ~/.kube/config
 *   kubernetes:/path/kubeconfig, kubernetes:/path#ctx     a kubeconfig file, optionally one of its contexts
 *   etcd:http://127.0.0.1:2379,http://10.0.0.2:2379       etcd endpoints (prefix /calico)
 *   etcd:http://127.0.0.1:2379#/mycluster                 ... with another key prefix
 */

/** DatastoreType names a backend. */
export type DatastoreType = "file" | "kubernetes" | "etcd";

/** DATASTORE_TYPES are the backends, in the order the help text lists them. */
export const DATASTORE_TYPES = ["file", "kubernetes", "etcd"] as const satisfies readonly DatastoreType[];

/** DEFAULT_ETCD_PREFIX is Calico's etcd root (`/calico/resources/v3/...`). */
export const DEFAULT_ETCD_PREFIX = "/calico";

/** DatastoreLocation is one backend and its address. */
export type DatastoreLocation =
  | { readonly type: "file"; readonly dir: string }
  /** `kubeconfig` unset: in-cluster environment, else $KUBECONFIG / ~/.kube/config; `context` unset: its current context. */
  | { readonly type: "kubernetes"; readonly kubeconfig?: string; readonly context?: string }
  | { readonly type: "etcd"; readonly endpoints: readonly string[]; readonly prefix: string };

/** parseDatastoreLocation reads the one-string form; throws naming the value and what was expected. */
export function parseDatastoreLocation(text: string): DatastoreLocation {
  const fail = (detail: string): never => {
    throw new Error(`parse datastore ${JSON.stringify(text)}: ${detail}`);
  };
  if (text === "") fail("empty");
  if (text === "kubernetes") return { type: "kubernetes" };
  if (text.startsWith("kubernetes:")) {
    const [kubeconfig = "", context] = splitHash(text.slice("kubernetes:".length));
    return {
      type: "kubernetes",
      ...(kubeconfig !== "" ? { kubeconfig } : {}),
      ...(context !== undefined && context !== "" ? { context } : {}),
    };
  }
  if (text.startsWith("etcd:")) {
    const [list = "", prefix] = splitHash(text.slice("etcd:".length));
    const endpoints = list
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== "");
    if (endpoints.length === 0) fail("etcd needs at least one endpoint, e.g. etcd:http://127.0.0.1:2379");
    for (const e of endpoints)
      if (!/^https?:\/\/[^/]+$/.test(e))
        fail(`etcd endpoint ${JSON.stringify(e)} is not http(s)://host:port`);
    return { type: "etcd", endpoints, prefix: normalisePrefix(prefix ?? DEFAULT_ETCD_PREFIX) };
  }
  if (text.startsWith("file:")) {
    const dir = text.slice("file:".length);
    if (dir === "") fail("file needs a directory, e.g. file:/etc/sluice/datastore");
    return { type: "file", dir };
  }
  if (/^[a-z][a-z0-9+.-]*:/.test(text) && !text.includes("/"))
    fail(
      `unknown datastore type; use a directory, ${DATASTORE_TYPES.map((t) => `${t}:...`).join(", ")} or kubernetes`,
    );
  return { type: "file", dir: text };
}

function splitHash(s: string): [string, string | undefined] {
  const i = s.lastIndexOf("#");
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function normalisePrefix(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** formatDatastoreLocation is the one-string form of a location (parseDatastoreLocation's inverse). */
export function formatDatastoreLocation(loc: DatastoreLocation): string {
  switch (loc.type) {
    case "file":
      return loc.dir;
    case "kubernetes":
      return loc.kubeconfig === undefined && loc.context === undefined
        ? "kubernetes"
        : `kubernetes:${loc.kubeconfig ?? ""}${loc.context !== undefined ? `#${loc.context}` : ""}`;
    case "etcd":
      return `etcd:${loc.endpoints.join(",")}${loc.prefix !== DEFAULT_ETCD_PREFIX ? `#${loc.prefix}` : ""}`;
  }
}

/** sameLocation: two locations name the same store. */
export function sameLocation(a: DatastoreLocation, b: DatastoreLocation): boolean {
  return formatDatastoreLocation(a) === formatDatastoreLocation(b);
}
