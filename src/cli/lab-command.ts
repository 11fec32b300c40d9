/**
 * registerLabCommand adds `sluice lab up|down|status|exec|start|pod`: a multi-node cluster of network
 * namespaces on this machine (see lab/ and README "Lab"). Needs root.
 */
import type { Command } from "commander";
import {
  checkPorts,
  createLab,
  DEFAULT_LAB_NAME,
  destroyLab,
  forwardSignals,
  formatLabStatus,
  isSameProcess,
  labStatus,
  openLab,
  parseLabelsFlag,
  parsePortFlag,
  spawnInNetns,
  startDemo,
} from "../../lab/index.ts";
import type { Lab, PodPort } from "../../lab/index.ts";
import { labContextName, withLabContext, withoutLabContext } from "./lab-context.ts";
import { loadSluiceConfig, saveSluiceConfig, sluiceConfigPath } from "./sluice-config.ts";

interface CommonOptions {
  readonly name: string;
  readonly stateDir?: string;
}

const progress =
  (name: string) =>
  (line: string): void => {
    process.stderr.write(`lab ${name}: ${line}\n`);
  };

function integer(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${flag}: "${value}" is not an integer`);
    return n;
  };
}

function attach(opts: CommonOptions): Lab {
  const lab = openLab(opts.name, {
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    onProgress: progress(opts.name),
  });
  if (!lab)
    throw new Error(
      `lab "${opts.name}" is not up (no state file); run \`sluice lab up --name ${opts.name}\``,
    );
  return lab;
}

function printStatus(lab: Lab, json: boolean | undefined): void {
  const status = labStatus(lab.state, isSameProcess);
  process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : formatLabStatus(status));
}

/** guarded runs an action and turns a failure into one "sluice lab <cmd>: <message>" line and exit code 1, not a stack trace. */
function guarded<A extends unknown[]>(
  cmd: string,
  fn: (...args: A) => unknown,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const e = err as Error;
      process.stderr.write(`sluice lab ${cmd}: ${e.message}\n`);
      if (process.env.SLUICE_DEBUG) process.stderr.write(`${e.stack ?? ""}\n`);
      process.exitCode = 1;
    }
  };
}

/** exitCodeOf maps an exit status to a shell exit code (128 + signal number when killed). */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (signal ? (signals[signal] ?? 0) : 0);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** registerLabPodCommand adds `lab pod add|delete`: pods with a namespace, labels and named ports, the shapes Kubernetes' policy conformance tests use. */
function registerLabPodCommand(lab: Command, common: (cmd: Command) => Command): void {
  const pod = lab
    .command("pod")
    .description("add or delete a pod (a network namespace with a veth into its node, and its Pod resource)");
  common(pod.command("add"))
    .description(
      "add a pod: sluice lab pod add a --namespace x --labels pod=a --port serve-80-tcp=80/TCP --port serve-81-udp=81/UDP",
    )
    .argument("<name>", "pod name (unique in its namespace)")
    .option(
      "-n, --namespace <ns>",
      "Kubernetes namespace (its Namespace resource is written if new)",
      "default",
    )
    .option("--node <node>", "node to run on (default: the first node)")
    .option("--labels <k=v,...>", "pod labels, comma-separated", "")
    .option(
      "--port <name=port/PROTO>",
      "named container port, e.g. serve-80-tcp=80/TCP (repeatable)",
      collect,
      [],
    )
    .action(
      guarded(
        "pod add",
        async (
          name: string,
          opts: CommonOptions & { namespace: string; node?: string; labels: string; port: string[] },
        ) => {
          const labels = parseLabelsFlag(opts.labels);
          const ports: PodPort[] = opts.port.map((p) => parsePortFlag(p));
          checkPorts(ports);
          const running = attach(opts);
          const node = opts.node ?? running.nodes[0]?.name;
          if (node === undefined || !running.nodes.some((n) => n.name === node)) {
            throw new Error(
              `--node "${opts.node ?? ""}": no such node in lab "${running.name}" (have ${running.nodes.map((n) => `"${n.name}"`).join(", ")})`,
            );
          }
          if (running.pods.some((p) => p.name === name && p.namespace === opts.namespace)) {
            throw new Error(
              `pod "${name}" already exists in namespace "${opts.namespace}" (--namespace ${opts.namespace})`,
            );
          }
          const added = await running.addPod(node, { name, namespace: opts.namespace, labels, ports });
          process.stdout.write(
            `${JSON.stringify({ name: added.name, namespace: added.namespace, node: added.node, ip: added.ip, netns: added.netns, hostIface: added.hostIface })}\n`,
          );
        },
      ),
    );
  common(pod.command("delete"))
    .description("delete a pod: its processes, namespace, veth and Pod resource")
    .argument("<name>", "pod name")
    .option("-n, --namespace <ns>", "Kubernetes namespace", "default")
    .action(
      guarded("pod delete", async (name: string, opts: CommonOptions & { namespace: string }) => {
        await attach(opts).removePod(name, opts.namespace);
      }),
    );
}

/** registerLabCommand adds the `lab` command group to the `sluice` program. */
export function registerLabCommand(program: Command): void {
  const lab = program
    .command("lab")
    .description("a multi-node Kubernetes-like cluster in network namespaces on this machine (needs root)");
  const common = (cmd: Command): Command =>
    cmd
      .option(
        "--name <name>",
        "lab name (prefix of its namespaces)",
        process.env.SLUICE_LAB ?? DEFAULT_LAB_NAME,
      )
      .option("--state-dir <dir>", "where lab state files live", "/run/sluice");

  common(lab.command("up"))
    .description("build the lab (first removing an earlier run of the same name)")
    .option("--nodes <n>", "number of nodes", integer("--nodes"), 2)
    .option("--pods-per-node <m>", "pods on every node", integer("--pods-per-node"), 2)
    .option(
      "--datastore <dir>",
      "datastore directory for the Node and Pod YAML (default <state-dir>/lab-<name>/datastore)",
    )
    .option("--no-agent", "do not start a sluice agent on every node (plain routing only)")
    .option("--no-demo", "do not start traffic servers in the pods nor write the demo Services")
    .option("--json", "print the resulting status as JSON")
    .action(
      guarded(
        "up",
        async (
          opts: CommonOptions & {
            nodes: number;
            podsPerNode: number;
            datastore?: string;
            json?: boolean;
            agent: boolean;
            demo: boolean;
          },
        ) => {
          const built = await createLab(
            {
              name: opts.name,
              nodes: opts.nodes,
              podsPerNode: opts.podsPerNode,
              ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
              ...(opts.datastore !== undefined ? { datastoreDir: opts.datastore } : {}),
            },
            { onProgress: progress(opts.name) },
          );
          // Detached: the agents and servers outlive this command; `sluice lab down` stops them.
          if (opts.demo) await startDemo(built, { agents: opts.agent, detached: true });
          else if (opts.agent)
            await startDemo(built, { agents: true, detached: true, backends: [], services: false });
          const configPath = sluiceConfigPath();
          saveSluiceConfig(
            configPath,
            withLabContext(loadSluiceConfig(configPath), opts.name, built.plan.datastoreDir),
          );
          process.stderr.write(
            `lab ${opts.name}: current context is now "${labContextName(opts.name)}" (${configPath}); sluice apply -f reaches this lab\n`,
          );
          printStatus(built, opts.json);
        },
      ),
    );

  common(lab.command("down"))
    .description("remove every namespace, link, pin, datastore file and process the lab made")
    .action(
      guarded("down", async (opts: CommonOptions) => {
        const report = await destroyLab(opts.name, {
          ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
          onProgress: progress(opts.name),
        });
        for (const s of report.strays) {
          process.stderr.write(
            `lab ${opts.name}: warning: pids ${s.pids.join(",")} (not started by the lab) were still in ${s.netns}; its devices live until they exit\n`,
          );
        }
        const configPath = sluiceConfigPath();
        const before = loadSluiceConfig(configPath);
        const after = withoutLabContext(before, opts.name);
        if (after !== before) {
          saveSluiceConfig(configPath, after);
          process.stderr.write(
            `lab ${opts.name}: removed context "${labContextName(opts.name)}"; current context: ${after.currentContext ?? "(none)"}\n`,
          );
        }
        process.stderr.write(`lab ${opts.name}: down (${report.namespaces.length} namespace(s) removed)\n`);
      }),
    );

  common(lab.command("status"))
    .description("nodes, pods, IPs and what runs where")
    .option("--json", "machine-readable output")
    .action(
      guarded("status", (opts: CommonOptions & { json?: boolean }) => {
        printStatus(attach(opts), opts.json);
      }),
    );

  common(lab.command("exec"))
    .description(
      "run a command in a pod, node, `client` or `underlay` namespace: sluice lab exec node-1-pod-1 -- ping -c1 198.19.2.2",
    )
    .argument("<target>", "pod name, node name (node-1), client, or underlay")
    .argument("<command...>", "command and arguments (put them after --)")
    .option(
      "-n, --namespace <ns>",
      'Kubernetes namespace of the pod (default: "default"; nodes, client and underlay need none)',
    )
    .action(
      guarded(
        "exec",
        async (target: string, argv: string[], opts: CommonOptions & { namespace?: string }) => {
          const netns = attach(opts).netnsOf(target, opts.namespace);
          // nsenter --net keeps the mount namespace, so /sys/fs/bpf pins stay visible.
          const proc = await spawnInNetns(netns, argv, { stdio: "inherit" });
          // nsenter execs the command, so proc.pid is the command itself: signals reach it directly.
          const stopForwarding = forwardSignals(proc.pid);
          const status = await proc.exited;
          stopForwarding();
          process.exitCode = exitCodeOf(status.code, status.signal);
        },
      ),
    );

  registerLabPodCommand(lab, common);

  common(lab.command("start"))
    .description(
      "start a long-running process on a node (its own bpffs pin root in SLUICE_BPFFS_ROOT), logging to a file; `down` stops it",
    )
    .argument("<node>", "node name, e.g. node-1")
    .argument("<command...>", "command and arguments (put them after --)")
    .action(
      guarded("start", async (node: string, argv: string[], opts: CommonOptions) => {
        const proc = await attach(opts).startOnNode(node, argv, {}, { detached: true });
        process.stdout.write(`${JSON.stringify({ node, pid: proc.pid, log: proc.logFile })}\n`);
      }),
    );
}
