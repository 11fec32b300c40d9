/**
 * What `sluice lab status` shows: nodes, pods, IPs, and which processes run where, as data
 * (for --json) and as a human table. Pure: the caller says which processes are alive.
 */
import type { LabState } from "./lab-state.ts";

/** LabStatus is the JSON shape of `sluice lab status --json`. */
export interface LabStatus {
  readonly name: string;
  readonly ready: boolean;
  readonly createdAt: string;
  readonly underlay: { readonly netns: string; readonly cidr: string; readonly gateway: string };
  readonly client: { readonly netns: string; readonly ip: string };
  readonly serviceCidr: string;
  readonly datastoreDir: string;
  readonly stateFile: string;
  readonly nodes: readonly {
    readonly name: string;
    readonly netns: string;
    readonly ip: string;
    readonly podCidr: string;
    readonly bpffsDir: string;
  }[];
  readonly pods: readonly {
    readonly name: string;
    readonly namespace: string;
    readonly node: string;
    readonly netns: string;
    readonly ip: string;
    readonly hostIface: string;
    readonly labels: Readonly<Record<string, string>>;
  }[];
  readonly processes: readonly {
    readonly pid: number;
    readonly target: string;
    readonly netns: string;
    readonly running: boolean;
    readonly command: string;
    readonly logFile?: string;
  }[];
}

/** labStatus summarises a state file; `isAlive` tells whether a recorded process still runs. */
export function labStatus(state: LabState, isAlive: (pid: number, startTime: string) => boolean): LabStatus {
  const p = state.plan;
  return {
    name: state.name,
    ready: state.ready,
    createdAt: state.createdAt,
    underlay: { netns: p.underlay.netns, cidr: p.underlay.cidr, gateway: p.underlay.gateway },
    client: { netns: p.client.netns, ip: p.client.ip },
    serviceCidr: p.serviceCidr,
    datastoreDir: p.datastoreDir,
    stateFile: p.stateFile,
    nodes: p.nodes.map((n) => ({
      name: n.name,
      netns: n.netns,
      ip: n.ip,
      podCidr: n.podCidr,
      bpffsDir: n.bpffsDir,
    })),
    pods: state.pods.map((x) => ({
      name: x.name,
      namespace: x.namespace,
      node: x.node,
      netns: x.netns,
      ip: x.ip,
      hostIface: x.hostIface,
      labels: x.labels,
    })),
    processes: state.processes.map((r) => ({
      pid: r.pid,
      target: r.target,
      netns: r.netns,
      running: isAlive(r.pid, r.startTime),
      command: r.argv.join(" "),
      ...(r.logFile !== undefined ? { logFile: r.logFile } : {}),
    })),
  };
}

/** formatLabStatus renders the status as aligned tables. */
export function formatLabStatus(s: LabStatus): string {
  const out: string[] = [
    `lab ${s.name}: ${s.ready ? "ready" : "NOT READY (incomplete build; run up again or down)"}, created ${s.createdAt}`,
    `underlay ${s.underlay.cidr} in ${s.underlay.netns} (gateway ${s.underlay.gateway}); services ${s.serviceCidr}`,
    `client ${s.client.ip} in ${s.client.netns}`,
    `datastore ${s.datastoreDir}`,
    "",
    table(
      ["NODE", "IP", "POD CIDR", "NETNS", "PIN ROOT", "PROCESSES"],
      s.nodes.map((n) => [n.name, n.ip, n.podCidr, n.netns, n.bpffsDir, processesIn(s, n.netns)]),
    ),
    "",
    table(
      ["POD", "NODE", "IP", "NETNS", "HOST IFACE", "LABELS", "PROCESSES"],
      s.pods.map((p) => [
        `${p.namespace}/${p.name}`,
        p.node,
        p.ip,
        p.netns,
        p.hostIface,
        Object.entries(p.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
        processesIn(s, p.netns),
      ]),
    ),
  ];
  if (s.processes.length > 0) {
    out.push(
      "",
      table(
        ["PID", "WHERE", "STATE", "COMMAND", "LOG"],
        s.processes.map((p) => [
          String(p.pid),
          p.target,
          p.running ? "running" : "gone",
          truncate(p.command, 60),
          p.logFile ?? "-",
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

function processesIn(s: LabStatus, netns: string): string {
  const pids = s.processes.filter((p) => p.netns === netns && p.running).map((p) => String(p.pid));
  return pids.length > 0 ? pids.join(",") : "-";
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** table aligns columns with two spaces between them. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
