/**
 * DNS policy end to end (issue 13) with `sluice agent` in the lab and a real DNS server: Debian's
 * dnsmasq, in pod kube-system/kube-dns-1 behind the kube-dns Service (so its answers are trusted
 * by Calico's default dnsTrustedServers), answers allowed.lab.example and denied.lab.example with
 * two web pods' addresses and a TTL of TTL_S seconds. A Calico NetworkPolicy lets the client pod
 * talk DNS to it and TCP to allowed.lab.example only. Pod "app" runs the client (lab/traffic/dns-client.ts)
 * resolves and connects at once, ROUNDS times: every connection must pass (the held answer is
 * learned before the pod sees it — no race), the denied name's must not, and once the TTL ran out
 * with no new answer, a new connection to the allowed address is refused again. Before the
 * policy both names connect, so the refusals are the policy's. The app pod and the DNS pod share
 * node-1: a same-node answer is the one released with a partial checksum if that were broken.
 * Flow logs are on for node-1: the app's flows name the domain their destination came from
 * (dest_domains). The same over TCP (dns-client --transport tcp, RFC 7766): after the door closed, an answer
 * over TCP alone must open it, at once — also a ~2 KB answer (a CNAME chain, big.lab.example)
 * that UDP truncates.
 * Lab "sl-t-dns-<pid>", torn down in `after`. Needs root and dnsmasq (Debian's dnsmasq-base).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { endpointSliceManifest, serviceManifest } from "../../lab/demo/demo-services.ts";
import { applyManifests } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import { startAgents } from "../../lab/start-agents.ts";
import type { DnsClientReport } from "../../lab/traffic/dns-client.ts";
import { nodeScriptArgv } from "../../lab/traffic/node-script.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { startTrafficServer, type TrafficServer } from "../../lab/traffic/start-traffic-server.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import type { FlowRecord } from "../../src/flowlogs/flow-record.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const DNSMASQ = "/usr/sbin/dnsmasq";
const LAB = `sl-t-dns-${process.pid}`;
const PORT = 8080;
const TTL_S = 3;
const ROUNDS = 40;
const TCP_ROUNDS = 10;
const KUBE_DNS_VIP = "198.18.128.53";
const flowDir = mkdtempSync(join(tmpdir(), "sl-t-dns-flows-"));

/**
 * bigAnswer makes big.lab.example a chain of 9 CNAMEs with 200-byte names ending at `ip`: a
 * ~2 KB answer, truncated over UDP (no EDNS), whole over TCP in one write — from the DNS pod on
 * the same node a TSO aggregate longer than SL_DNS_FRAME_MAX.
 */
function bigAnswer(ip: string): string[] {
  const long = (i: number): string =>
    `c${i}.${["x".repeat(60), "x".repeat(60), "x".repeat(60)].join(".")}.lab.example`;
  return [
    `--cname=big.lab.example,${long(1)}`,
    ...Array.from({ length: 8 }, (_, i) => `--cname=${long(i + 1)},${long(i + 2)}`),
    `--host-record=${long(9)},${ip}`,
  ];
}

let lab: Lab;
const servers: TrafficServer[] = [];
let dnsmasq: NetnsProcess | undefined;
let agents = new Map<string, NetnsProcess>();

const dnsIp = (): string => lab.pod("kube-dns-1", "kube-system").ip;

async function resolveAndConnect(
  name: string,
  count: number,
  timeoutMs = 1500,
  transport: "udp" | "tcp" = "udp",
): Promise<DnsClientReport> {
  const argv = nodeScriptArgv("dns-client.ts", [
    "--server",
    dnsIp(),
    "--name",
    name,
    "--port",
    String(PORT),
    "--count",
    String(count),
    "--timeout-ms",
    String(timeoutMs),
    "--deadline-ms",
    "30000",
    "--transport",
    transport,
  ]);
  const r = await lab.exec("app", argv, { timeoutMs: 45_000 });
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as DnsClientReport;
  } catch {
    throw new Error(`dns-client for ${name}: no report (code ${r.code}): ${r.stderr.trim()}`);
  }
}

/** flowsOf reads the recent flow records from a node's agent (GET /flows on its health port). */
async function flowsOf(node: string): Promise<FlowRecord[]> {
  const r = await lab.exec(node, ["curl", "-s", "http://127.0.0.1:9099/flows"], { timeoutMs: 5000 });
  try {
    return JSON.parse(r.stdout) as FlowRecord[];
  } catch {
    return [];
  }
}

function policedEndpoints(node: string): number {
  const m = BpfMap.openPinned(
    mapPinPath(`${lab.node(node).bpffsDir}/sluice`, SL_MAP.pol_endpoints),
    SL_MAP.pol_endpoints,
  );
  try {
    return [...m.keys()].length;
  } finally {
    m.close();
  }
}

describe(
  "DNS policy in the lab",
  {
    ...requireRoot,
    timeout: 120_000,
    skip: isRoot && !existsSync(DNSMASQ) ? "needs /usr/sbin/dnsmasq (Debian dnsmasq-base)" : false,
  },
  () => {
    before(async () => {
      if (!isRoot || !existsSync(DNSMASQ)) return;
      lab = await createLab({
        name: LAB,
        nodes: 2,
        podsPerNode: 0,
        pods: [
          { node: "node-1", name: "kube-dns-1", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
          { node: "node-1", name: "app", labels: { role: "dns-client" } },
          { node: "node-2", name: "allowed-web", labels: { app: "allowed" } },
          { node: "node-2", name: "denied-web", labels: { app: "denied" } },
        ],
      });
      const dnsPod = lab.pod("kube-dns-1", "kube-system");
      dnsmasq = await lab.spawn(dnsPod.netns, [
        DNSMASQ,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--pid-file=",
        "--user=root",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        `--listen-address=${dnsPod.ip}`,
        "--port=53",
        `--local-ttl=${TTL_S}`,
        `--address=/allowed.lab.example/${lab.pod("allowed-web").ip}`,
        `--address=/denied.lab.example/${lab.pod("denied-web").ip}`,
        ...bigAnswer(lab.pod("allowed-web").ip),
      ]);
      for (const web of ["allowed-web", "denied-web"])
        servers.push(await startTrafficServer(lab, web, { port: PORT, lifetimeMs: 110_000 }));
      const dnsPort = [
        { name: "dns", port: 53, targetPort: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, targetPort: 53, protocol: "TCP" },
      ] as const;
      const svc = serviceManifest("kube-dns", KUBE_DNS_VIP, dnsPort);
      const slice = endpointSliceManifest("kube-dns", [dnsPod], dnsPort);
      for (const m of [svc, slice]) (m.metadata as { namespace: string }).namespace = "kube-system";
      const flowLogs = {
        apiVersion: "projectcalico.org/v3",
        kind: "FelixConfiguration",
        metadata: { name: "node.node-1" },
        spec: {
          flowLogsFileEnabled: true,
          flowLogsFlushInterval: "1s",
          flowLogsFileDirectory: flowDir,
          flowLogsFileAggregationKindForAllowed: 0,
          flowLogsFileAggregationKindForDenied: 0,
        },
      };
      await applyManifests(lab.plan.datastoreDir, [svc, slice, flowLogs]);
      agents = await startAgents(lab);
    });

    after(async () => {
      for (const s of servers) await s.stop();
      dnsmasq?.child.kill("SIGTERM");
      for (const p of agents.values()) p.child.kill("SIGTERM");
      if (lab) await lab.down();
      rmSync(flowDir, { recursive: true, force: true });
    });

    test("resolve-then-connect passes at once for the allowed name, never for the denied one, and the TTL closes it", async () => {
      for (const name of ["allowed.lab.example", "denied.lab.example"]) {
        const open = await resolveAndConnect(name, 2);
        assert.equal(open.connected, 2, `no policy yet: ${name} connects (${JSON.stringify(open)})`);
      }
      await applyManifests(lab.plan.datastoreDir, [
        {
          apiVersion: "projectcalico.org/v3",
          kind: "NetworkPolicy",
          metadata: { name: "client-egress", namespace: "default" },
          spec: {
            selector: "role == 'dns-client'",
            types: ["Egress"],
            egress: [
              ...(["UDP", "TCP"] as const).map((protocol) => ({
                action: "Allow",
                protocol,
                destination: { nets: [`${dnsIp()}/32`, `${KUBE_DNS_VIP}/32`], ports: [53] },
              })),
              {
                action: "Allow",
                protocol: "TCP",
                destination: { domains: ["allowed.lab.example", "big.lab.example"] },
              },
            ],
          },
        },
      ]);
      await until("node-1 polices the app pod", () => policedEndpoints("node-1") >= 1, 20_000);

      const allowed = await resolveAndConnect("allowed.lab.example", ROUNDS);
      assert.equal(
        allowed.connected,
        ROUNDS,
        `every connection right after its answer passes (no race): ${JSON.stringify(allowed)}`,
      );
      assert.equal(allowed.minTtl, TTL_S, "dnsmasq answered with the short TTL");

      const denied = await resolveAndConnect("denied.lab.example", 3, 800);
      assert.equal(denied.resolved, 3, `DNS itself is allowed: ${JSON.stringify(denied)}`);
      assert.equal(denied.connected, 0, `the denied name's address is refused: ${JSON.stringify(denied)}`);

      // No new answer for TTL_S (+ a tick of the agent's expiry timer, + margin): the door closes.
      await new Promise((r) => setTimeout(r, (TTL_S + 2) * 1000));
      const expired = await runTrafficClient(lab, "app", {
        host: lab.pod("allowed-web").ip,
        port: PORT,
        count: 2,
        timeoutMs: 800,
        deadlineMs: 10_000,
      });
      assert.equal(
        expired.ok,
        0,
        `after the TTL, the allowed address is refused: ${JSON.stringify(expired)}`,
      );

      const again = await resolveAndConnect("allowed.lab.example", 3);
      assert.equal(again.connected, 3, `a fresh answer opens it again: ${JSON.stringify(again)}`);

      // Flow records name the domain the destination came from (dest_domains).
      const toName = (dest: string, action: string) => (r: FlowRecord) =>
        r.source_name === "app" && r.dest_name === dest && r.action === action && r.reporter === "src";
      let records: FlowRecord[] = [];
      await until(
        "node-1's flow records show the app's flows to both web pods",
        async () => {
          records = await flowsOf("node-1");
          return records.some(toName("allowed-web", "allow")) && records.some(toName("denied-web", "deny"));
        },
        20_000,
      );
      const allowedRecords = records.filter(toName("allowed-web", "allow"));
      assert.ok(
        allowedRecords.some((r) => r.dest_domains.includes("allowed.lab.example")),
        `a flow to allowed-web names allowed.lab.example: ${JSON.stringify(allowedRecords.map((r) => r.dest_domains))}`,
      );
      for (const r of allowedRecords) assert.ok(!r.dest_domains.includes("denied.lab.example"));
      const deniedRecords = records.filter(toName("denied-web", "deny"));
      assert.ok(
        deniedRecords.some((r) => r.dest_domains.includes("denied.lab.example")),
        `a denied flow names the domain the pod asked for too: ${JSON.stringify(deniedRecords.map((r) => r.dest_domains))}`,
      );
    });

    test("an answer over TCP opens the door as one over UDP does: closed after the TTL, open at once after a TCP answer", async () => {
      // Closed again first, so only the TCP answer can open it.
      await new Promise((r) => setTimeout(r, (TTL_S + 2) * 1000));
      const closed = await runTrafficClient(lab, "app", {
        host: lab.pod("allowed-web").ip,
        port: PORT,
        count: 1,
        timeoutMs: 800,
        deadlineMs: 10_000,
      });
      assert.equal(closed.ok, 0, `closed before the TCP answer: ${JSON.stringify(closed)}`);
      const tcp = await resolveAndConnect("allowed.lab.example", TCP_ROUNDS, 1500, "tcp");
      assert.equal(
        tcp.connected,
        TCP_ROUNDS,
        `every connection right after a TCP answer passes: ${JSON.stringify(tcp)}`,
      );
      // A large answer: over UDP truncated (no address), so a resolver retries over TCP — and
      // that answer, held and learned segment by segment, opens the door at once.
      await new Promise((r) => setTimeout(r, (TTL_S + 2) * 1000));
      const truncated = await resolveAndConnect("big.lab.example", 1, 1500, "udp");
      assert.equal(
        truncated.resolved,
        0,
        `over UDP the big answer is truncated: ${JSON.stringify(truncated)}`,
      );
      const big = await resolveAndConnect("big.lab.example", TCP_ROUNDS, 1500, "tcp");
      assert.equal(
        big.connected,
        TCP_ROUNDS,
        `every connection right after a ~2 KB TCP answer passes: ${JSON.stringify(big)}`,
      );
      const denied = await resolveAndConnect("denied.lab.example", 2, 800, "tcp");
      assert.equal(denied.resolved, 2, `DNS over TCP itself is allowed: ${JSON.stringify(denied)}`);
      assert.equal(denied.connected, 0, `the denied name stays refused: ${JSON.stringify(denied)}`);
    });
  },
);
