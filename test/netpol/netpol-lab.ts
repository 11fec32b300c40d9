/**
 * NetpolLab: the one lab the policy e2e cases share — nodes without demo pods, namespaces x, y,
 * z with pods a, b, c each (labelled pod=<name>, spread over the nodes, named ports
 * serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp), a server on 80 and 81 over TCP and
 * UDP in every pod, and a Service per pod with the EndpointSlices the cluster's controller would
 * write (endpoint-slices.ts). Everything goes through the `sluice` CLI shapes
 * issue 9 names (lab up --pods-per-node 0, lab pod add ... --port, apply -f). probe() fills a
 * reachability matrix by running one bounded prober per source pod, in parallel.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LabStatus } from "../../lab/lab-status.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { Service } from "../../src/model/service.ts";
import { endpointSlicesFor } from "./endpoint-slices.ts";
import { proberScript, serverScript, type ProbeTarget } from "./probe-scripts.ts";
import type { Reachability } from "./reachability.ts";

const SLUICE = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
export const NAMESPACES = ["x", "y", "z"] as const;
export const POD_NAMES = ["a", "b", "c"] as const;
export const PORTS = [80, 81] as const;
/** Every pod, "ns/name", in matrix order. */
export const PODS: readonly string[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));
const PROBE_TIMEOUT_S = 1;
// Longer than the whole suite on a loaded machine (a run took over 15 minutes); down() kills them.
const SERVER_LIFETIME_S = 3600;

/** sluice runs the real CLI with a bounded timeout and throws with its stderr on failure. */
export function sluice(args: readonly string[], input?: string): string {
  const env = { ...process.env };
  delete env.SLUICE_LAB;
  const r = spawnSync(process.execPath, [SLUICE, ...args], {
    env,
    input,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`sluice ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface NetpolLab {
  readonly name: string;
  status(): LabStatus;
  /** probe returns the matrix for `port/proto` to pod IPs ("pod") or to Service ClusterIPs ("service"). */
  probe(port: number, proto: "tcp" | "udp", to: "pod" | "service"): Promise<Reachability>;
  /** apply writes manifests to the lab's datastore (`sluice apply -f -`). */
  apply(manifests: string): void;
  /** remove deletes what manifests name (`sluice delete -f -`), ignoring what is already gone. */
  remove(manifests: string): void;
  /** label runs `sluice label pod NAME -n NS labels... --overwrite`. */
  label(namespace: string, pod: string, labels: readonly string[]): void;
  /** podIps maps "ns/name" to the pod's IP. */
  podIps(): Map<string, string>;
  down(): void;
}

/** serviceIp is pod i's Service ClusterIP, inside the lab's service CIDR 198.18.128.0/20. */
const serviceIp = (i: number): string => `198.18.130.${10 + i}`;

function serviceManifests(): string {
  return PODS.map((key, i) => {
    const [ns, pod] = key.split("/") as [string, string];
    const ports = PORTS.flatMap((p) =>
      (["TCP", "UDP"] as const).map(
        (proto) =>
          `  - name: p${p}-${proto.toLowerCase()}\n    port: ${p}\n    protocol: ${proto}\n    targetPort: serve-${p}-${proto.toLowerCase()}`,
      ),
    ).join("\n");
    return `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${pod}\n  namespace: ${ns}\nspec:\n  clusterIP: ${serviceIp(i)}\n  selector:\n    pod: ${pod}\n  ports:\n${ports}\n`;
  }).join("---\n");
}

/** startNetpolLab brings the lab up (nodes, agents, no pods) and adds the 9 pods, servers and Services. */
export async function startNetpolLab(name: string, nodes = 2): Promise<NetpolLab> {
  const lab = (args: readonly string[]): string => sluice(["lab", ...args, "--name", name]);
  const status = (): LabStatus => JSON.parse(lab(["status", "--json"])) as LabStatus;
  const servers: { kill(): void }[] = [];
  const down = (): void => {
    for (const s of servers) s.kill();
    spawnSync(process.execPath, [SLUICE, "lab", "down", "--name", name], { timeout: 120_000 });
  };
  try {
    lab(["up", "--nodes", String(nodes), "--pods-per-node", "0", "--no-demo", "--json"]);
    PODS.forEach((key, i) => {
      const [ns, pod] = key.split("/") as [string, string];
      const portFlags = PORTS.flatMap((p) => [
        "--port",
        `serve-${p}-tcp=${p}/TCP`,
        "--port",
        `serve-${p}-udp=${p}/UDP`,
      ]);
      lab([
        "pod",
        "add",
        pod,
        "--namespace",
        ns,
        "--node",
        `node-${(i % nodes) + 1}`,
        "--labels",
        `pod=${pod}`,
        ...portFlags,
      ]);
    });
    const s = status();
    await Promise.all(
      s.pods.map(
        (p) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(
              "ip",
              ["netns", "exec", p.netns, "/usr/bin/python3", "-c", serverScript(PORTS, SERVER_LIFETIME_S)],
              {
                stdio: ["ignore", "pipe", "pipe"],
              },
            );
            servers.push({ kill: () => child.kill("SIGKILL") });
            const timer = setTimeout(
              () => reject(new Error(`server in ${p.namespace}/${p.name} did not listen in 15 s`)),
              15_000,
            );
            child.stdout.once("data", () => {
              clearTimeout(timer);
              resolve();
            });
            // "close", not "exit": exit can come before the last of stdout is read (an empty verdict).
            child.once("close", (code) => {
              clearTimeout(timer);
              reject(new Error(`server in ${p.namespace}/${p.name} exited (${code})`));
            });
          }),
      ),
    );
    sluice(["apply", "-f", "-", "--datastore", s.datastoreDir], serviceManifests());
    applyEndpointSlices(s.datastoreDir);
  } catch (e) {
    down();
    throw e;
  }
  const datastore = (): string => status().datastoreDir;
  return {
    name,
    status,
    down,
    apply: (manifests) => void sluice(["apply", "-f", "-", "--datastore", datastore()], manifests),
    remove: (manifests) =>
      void sluice(["delete", "-f", "-", "--ignore-not-found", "--datastore", datastore()], manifests),
    label: (namespace, pod, labels) =>
      void sluice([
        "label",
        "pod",
        pod,
        "-n",
        namespace,
        ...labels,
        "--overwrite",
        "--datastore",
        datastore(),
      ]),
    podIps: () => new Map(status().pods.map((p) => [`${p.namespace}/${p.name}`, p.ip])),
    async probe(port, proto, to) {
      const s = status();
      const byKey = new Map(s.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
      const targets: ProbeTarget[] = PODS.map((key, i) => ({
        key,
        ip: to === "pod" ? (byKey.get(key)?.ip ?? "0.0.0.0") : serviceIp(i),
        port,
        proto,
      }));
      const rows = await Promise.all(
        PODS.map(async (src) => {
          const p = byKey.get(src);
          if (p === undefined) throw new Error(`probe: pod ${src} is not in the lab`);
          const out = await run([
            "ip",
            "netns",
            "exec",
            p.netns,
            "/usr/bin/python3",
            "-c",
            proberScript(targets, PROBE_TIMEOUT_S),
          ]);
          const verdicts = JSON.parse(out) as Record<string, boolean>;
          return [src, new Map(PODS.map((d) => [d, verdicts[d] === true]))] as const;
        }),
      );
      return { pods: PODS, cells: new Map(rows) };
    },
  };
}

/** applyEndpointSlices writes every Service's EndpointSlices, as the cluster's controller would. */
function applyEndpointSlices(datastore: string): void {
  const list = <T>(kind: string): T[] =>
    (JSON.parse(sluice(["get", kind, "-A", "-o", "json", "--datastore", datastore])) as { items: T[] }).items;
  const pods = list<Pod>("pods");
  const slices = list<Service>("services").flatMap((svc) => endpointSlicesFor(svc, pods));
  sluice(
    ["apply", "-f", "-", "--datastore", datastore],
    slices.map((m) => JSON.stringify(m)).join("\n---\n"),
  );
}

function run(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // "close", not "exit": exit can come before the last of stdout is read (an empty verdict).
    child.once("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} ${args.slice(0, 4).join(" ")} exited ${code}: ${err}`)),
    );
  });
}
