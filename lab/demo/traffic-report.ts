/**
 * runTrafficReport exercises the demo Services and returns one row per check: ClusterIP from a
 * pod on every node, a backend reaching its own Service (hairpin), NodePort from the external
 * client to every node (with the source address the backend saw), externalTrafficPolicy Local,
 * ClientIP affinity, and a Service without endpoints. formatTrafficReport renders the rows.
 */
import type { Lab } from "../lab.ts";
import type { ClientReport } from "../traffic/client-report.ts";
import { runTrafficClient } from "../traffic/run-traffic-client.ts";
import type { TrafficProto } from "../traffic/traffic-args.ts";
import { demoServiceInfo } from "./demo-services.ts";

/** ReportRow is one check's outcome. */
export interface ReportRow {
  readonly check: string;
  readonly from: string;
  readonly target: string;
  readonly ok: number;
  readonly attempts: number;
  /** Distinct servers (pods) that answered. */
  readonly backends: readonly string[];
  /** Source addresses the backends saw. */
  readonly seenAs: readonly string[];
  readonly errors: readonly string[];
}

function row(check: string, from: string, target: string, r: ClientReport): ReportRow {
  return {
    check,
    from,
    target,
    ok: r.ok,
    attempts: r.attempts,
    backends: [...new Set(r.replies.map((x) => x.server))].sort(),
    seenAs: r.seenAs,
    errors: [...new Set(r.errors.map((e) => e.error))],
  };
}

async function probe(
  lab: Lab,
  from: string,
  host: string,
  port: number,
  count: number,
  proto: TrafficProto = "tcp",
): Promise<ClientReport> {
  return runTrafficClient(lab, from, { host, port, proto, count, timeoutMs: 1500, deadlineMs: 20_000 });
}

/** runTrafficReport runs every check (bounded: a few exchanges each, 1.5 s timeout). */
export async function runTrafficReport(lab: Lab): Promise<ReportRow[]> {
  const svc = demoServiceInfo(lab.plan);
  const rows: ReportRow[] = [];
  for (const node of lab.nodes) {
    // A dedicated client pod when the lab has one, so these rows show ClusterIP reach alone.
    const pod =
      lab.pods.find((p) => p.node === node.name && p.name.startsWith("client-")) ??
      lab.pods.find((p) => p.node === node.name);
    if (pod === undefined) continue;
    rows.push(row("ClusterIP tcp", pod.name, `${svc.web}:80`, await probe(lab, pod.name, svc.web, 80, 6)));
    rows.push(
      row("ClusterIP udp", pod.name, `${svc.web}:53`, await probe(lab, pod.name, svc.web, 53, 3, "udp")),
    );
  }
  // A backend calling its own Service: the draws that pick itself are hairpin flows, which the
  // backend sees from the service loopback address (SL_HAIRPIN_IP_DEFAULT) rather than its own.
  const backend = lab.pods.find((p) => !p.name.startsWith("client-"));
  if (backend)
    rows.push(
      row(
        "ClusterIP hairpin",
        backend.name,
        `${svc.web}:80`,
        await probe(lab, backend.name, svc.web, 80, 12),
      ),
    );
  for (const node of lab.nodes)
    rows.push(
      row(
        "NodePort",
        "client",
        `${node.ip}:${svc.nodePort}`,
        await probe(lab, "client", node.ip, svc.nodePort, 3),
      ),
    );
  for (const node of lab.nodes)
    rows.push(
      row(
        "NodePort etp=Local",
        "client",
        `${node.ip}:${svc.localNodePort}`,
        await probe(lab, "client", node.ip, svc.localNodePort, 2),
      ),
    );
  const first = lab.pods.find((p) => p.name.startsWith("client-")) ?? lab.pods[0];
  if (first) {
    rows.push(
      row(
        "ClientIP affinity",
        first.name,
        `${svc.sticky}:80`,
        await probe(lab, first.name, svc.sticky, 80, 6),
      ),
    );
    rows.push(
      row("no endpoints", first.name, `${svc.empty}:80`, await probe(lab, first.name, svc.empty, 80, 1)),
    );
  }
  return rows;
}

/** formatTrafficReport renders the rows as a table. */
export function formatTrafficReport(rows: readonly ReportRow[]): string {
  const cells = [
    ["CHECK", "FROM", "TO", "OK", "BACKENDS", "SOURCE SEEN", "ERRORS"],
    ...rows.map((r) => [
      r.check,
      r.from,
      r.target,
      `${r.ok}/${r.attempts}`,
      r.backends.join(",") || "-",
      r.seenAs.join(",") || "-",
      r.errors.join("; ") || "-",
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells
    .map((c) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join("   "))
    .join("\n");
}
