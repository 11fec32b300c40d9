/**
 * End-to-end test of the lab's pod commands through the real `sluice` entry point, in the shapes
 * Kubernetes' NetworkPolicy conformance tests use: `lab up --pods-per-node 0` (agents, no pods),
 * `lab pod add NAME --namespace NS --labels ... --port name=port/PROTO`, the same pod name in two
 * namespaces, `lab exec NAME --namespace NS`, `lab status --json` and `lab pod delete`. The lab
 * name carries this run's pid; the lab is downed in `finally`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { parse } from "yaml";
import { registerLabCommand } from "../src/cli/lab-command.ts";
import { listNetns } from "../src/kernel/netns.ts";
import { requireRoot } from "../test/support/root.ts";
import type { LabStatus } from "./lab-status.ts";

const SLUICE = fileURLToPath(new URL("../bin/sluice.js", import.meta.url));
const NAME = `sl-t-pods-${process.pid}`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** spawned runs `sluice lab <args> --name NAME <tail>` through bin/sluice.js, as a conformance suite would. */
function spawned(args: readonly string[], tail: readonly string[] = []): Run {
  const env = { ...process.env };
  delete env.SLUICE_LAB;
  const r = spawnSync(process.execPath, [SLUICE, "lab", ...args, "--name", NAME, ...tail], {
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * sluice runs the same command line through the commander program in this process (each
 * spawned CLI costs seconds of tsx start-up), capturing what it writes and its exit code.
 */
async function sluice(args: readonly string[]): Promise<Run> {
  const program = new Command().exitOverride();
  registerLabCommand(program);
  const out: string[] = [];
  const err: string[] = [];
  const { write: stdoutWrite } = process.stdout;
  const { write: stderrWrite } = process.stderr;
  // The CLI writes strings; the test runner's own reports (binary, on stdout) pass through.
  const capture = (into: string[], original: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      typeof chunk === "string"
        ? into.push(chunk) > 0
        : (original as (...a: unknown[]) => boolean).call(
            stream,
            chunk,
            ...rest,
          )) as typeof process.stdout.write;
  process.stdout.write = capture(out, stdoutWrite, process.stdout);
  process.stderr.write = capture(err, stderrWrite, process.stderr);
  try {
    await program.parseAsync(["lab", ...args, "--name", NAME], { from: "user" });
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  const code = typeof process.exitCode === "number" ? process.exitCode : 0;
  process.exitCode = 0;
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function ok(args: readonly string[]): Promise<string> {
  const r = await sluice(args);
  assert.equal(r.code, 0, `sluice lab ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

async function fails(args: readonly string[], pattern: RegExp): Promise<void> {
  const r = await sluice(args);
  assert.equal(r.code, 1, `sluice lab ${args.join(" ")} should fail; stdout ${r.stdout}`);
  assert.match(r.stderr, pattern);
}

/** exec runs `sluice lab exec <args> -- <argv>` through bin/sluice.js (its output goes straight to the terminal). */
function exec(args: readonly string[], argv: readonly string[]): Run {
  return spawned(["exec", ...args], ["--", ...argv]);
}

function execOk(args: readonly string[], argv: readonly string[]): string {
  const r = exec(args, argv);
  assert.equal(r.code, 0, `sluice lab exec ${args.join(" ")} -- ${argv.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const status = async (): Promise<LabStatus> => JSON.parse(await ok(["status", "--json"])) as LabStatus;
/** PodOrNamespace is what the test reads back from a Pod or Namespace YAML file (a Namespace has only metadata). */
interface PodOrNamespace {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Record<string, string>;
  };
  readonly spec: { readonly nodeName: string; readonly containers: { readonly ports?: unknown[] }[] };
  readonly status: { readonly podIP: string; readonly podIPs: unknown[] };
}
const readYaml = (dir: string, file: string): PodOrNamespace =>
  parse(readFileSync(join(dir, file), "utf8")) as PodOrNamespace;

test(
  "lab pod add/exec/delete through the CLI: same name in two namespaces, labels and named ports in the datastore, pod-to-pod traffic",
  requireRoot,
  async () => {
    try {
      const up = JSON.parse(
        await ok(["up", "--nodes", "2", "--pods-per-node", "0", "--no-demo", "--json"]),
      ) as LabStatus;
      assert.deepEqual(up.pods, []);
      assert.equal(
        up.processes.filter((p) => p.running && /agent/.test(p.command)).length,
        2,
        "one agent per node",
      );
      const dir = up.datastoreDir;
      assert.deepEqual(
        readYaml(dir, "namespace-default.yaml").metadata.labels["kubernetes.io/metadata.name"],
        "default",
      );

      const xa = JSON.parse(
        await ok([
          "pod",
          "add",
          "a",
          "--namespace",
          "x",
          "--node",
          "node-1",
          "--labels",
          "pod=a",
          "--port",
          "serve-80-tcp=80/TCP",
          "--port",
          "serve-81-udp=81/UDP",
        ]),
      ) as { ip: string; netns: string; hostIface: string };
      const ya = JSON.parse(
        await ok([
          "pod",
          "add",
          "a",
          "-n",
          "y",
          "--node",
          "node-2",
          "--labels",
          "pod=a,team=y",
          "--port",
          "serve-80-tcp=80/TCP",
        ]),
      ) as { ip: string; netns: string; hostIface: string };
      const db = JSON.parse(await ok(["pod", "add", "b"])) as { ip: string; node: string };
      assert.equal(db.node, "node-1", "--node defaults to the first node");
      assert.notEqual(xa.ip, ya.ip);
      assert.notEqual(xa.netns, ya.netns);
      assert.ok(xa.hostIface.length <= 15 && ya.hostIface.length <= 15);

      await fails(["pod", "add", "a", "--namespace", "x"], /already exists in namespace "x"/);
      await fails(["pod", "add", "c", "--node", "node-9"], /--node "node-9": no such node/);
      await fails(["pod", "add", "c", "--labels", "pod"], /--labels "pod"/);
      await fails(["pod", "add", "c", "--port", "serve-80-tcp=0/TCP"], /--port "serve-80-tcp=0\/TCP"/);
      await fails(["pod", "delete", "a", "--namespace", "z"], /no pod "a" in namespace "z"/);

      const podX = readYaml(dir, "pod-x-a.yaml");
      assert.deepEqual(podX.metadata.labels, { pod: "a" });
      assert.equal(podX.metadata.namespace, "x");
      assert.equal(podX.spec.nodeName, "node-1");
      assert.equal(podX.status.podIP, xa.ip);
      assert.deepEqual(podX.status.podIPs, [{ ip: xa.ip }]);
      assert.deepEqual(podX.spec.containers[0]?.ports, [
        { name: "serve-80-tcp", containerPort: 80, protocol: "TCP" },
        { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
      ]);
      const podY = readYaml(dir, "pod-y-a.yaml");
      assert.deepEqual(podY.metadata.labels, { pod: "a", team: "y" });
      assert.equal(podY.spec.nodeName, "node-2");
      assert.equal(podY.status.podIP, ya.ip);
      for (const ns of ["x", "y"])
        assert.deepEqual(
          readYaml(dir, `namespace-${ns}.yaml`).metadata.labels["kubernetes.io/metadata.name"],
          ns,
        );

      const s = await status();
      assert.deepEqual(
        s.pods.map((p) => [p.namespace, p.name, p.ip, p.labels]).sort(),
        [
          ["default", "b", db.ip, {}],
          ["x", "a", xa.ip, { pod: "a" }],
          ["y", "a", ya.ip, { pod: "a", team: "y" }],
        ].sort(),
      );

      // exec runs in the namespaced pod: it sees its own address, and reaches the other "a" across nodes.
      assert.match(
        execOk(["a", "--namespace", "x"], ["sh", "-c", `ip -4 addr show dev eth0 && ping -c1 -W3 ${ya.ip}`]),
        new RegExp(`inet ${xa.ip.replaceAll(".", "\\.")}/32[\\s\\S]*1 received`),
      );
      assert.match(
        execOk(["a", "-n", "y"], ["ip", "-4", "addr", "show", "dev", "eth0"]),
        new RegExp(`inet ${ya.ip.replaceAll(".", "\\.")}/32`),
      );
      assert.match(
        execOk(["b"], ["ip", "-4", "addr", "show", "dev", "eth0"]),
        new RegExp(`inet ${db.ip.replaceAll(".", "\\.")}/32`),
        "no --namespace: default",
      );
      assert.match(
        execOk(["node-1"], ["ip", "-4", "addr", "show", "dev", "eth0"]),
        /inet 198\.18\./,
        "nodes still work as targets",
      );

      await ok(["pod", "delete", "a", "--namespace", "x"]);
      assert.ok(!listNetns().includes(xa.netns), "netns removed");
      assert.ok(!existsSync(join(dir, "pod-x-a.yaml")), "Pod resource removed");
      assert.ok(existsSync(join(dir, "pod-y-a.yaml")), "the other namespace's pod stays");
      assert.deepEqual((await status()).pods.map((p) => `${p.namespace}/${p.name}`).sort(), [
        "default/b",
        "y/a",
      ]);
      const gone = exec(["a", "--namespace", "x"], ["true"]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no pod "a" in namespace "x"/);
    } finally {
      await sluice(["down"]);
    }
    assert.ok(!listNetns().some((n) => n.startsWith(`${NAME}-`)), "down removed every namespace");
  },
);
