/**
 * Lab is a running lab cluster as a TypeScript object, for tests and benchmarks:
 *
 *   const lab = await createLab({ name: "sl-t-demo", nodes: 2, podsPerNode: 2 });
 *   try {
 *     const r = await lab.exec("node-1-pod-1", ["ping", "-c1", lab.pod("node-2-pod-1").ip]);
 *   } finally {
 *     await lab.down();
 *   }
 *
 * Targets name a namespace: a pod name, a node name ("node-1"), "client", "underlay", or a
 * namespace name of this lab. Processes started here are recorded in the state file and stopped
 * by down() (or by `sluice lab down` from another process). Needs root.
 */
import { basename } from "node:path";
import { deleteNetns } from "../src/kernel/netns.ts";
import { buildLab } from "./build-lab.ts";
import type { Progress } from "./build-lab.ts";
import { namespaceFileName, podFileName } from "./cluster-resources.ts";
import { removeDatastoreFiles, writeNamespaceResource, writePodResource } from "./lab-datastore.ts";
import { buildPod, unplugPod } from "./build-steps.ts";
import { LabRecorder } from "./lab-recorder.ts";
import { readLabState } from "./lab-state.ts";
import type { LabState } from "./lab-state.ts";
import type { LabSpec } from "./lab-spec.ts";
import type { PodPort } from "./pod-flags.ts";
import { LabStepError } from "./lab-step-error.ts";
import { collectOutput, spawnInNetns } from "./netns-process.ts";
import type { ExecInNetnsOptions, ExecResult, NetnsProcess, SpawnInNetnsOptions } from "./netns-process.ts";
import { planLab, planPod } from "./plan.ts";
import type { LabPlan, PlannedNode, PlannedPod } from "./plan.ts";
import { stopRecordedProcesses } from "./stop-recorded-processes.ts";
import { teardownLab } from "./teardown-lab.ts";
import type { TeardownReport } from "./teardown-lab.ts";

/** CreateLabOptions configures createLab. */
export interface CreateLabOptions {
  /** One line per step (e.g. to stderr); silent by default. */
  readonly onProgress?: Progress;
}

/** AddPodOptions names, labels and gives ports to a pod added to a running lab. */
export interface AddPodOptions {
  readonly name?: string;
  /** Kubernetes namespace; default "default". */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Named container ports for the Pod resource (what named-port policy resolves against). */
  readonly ports?: readonly PodPort[];
}

/** createLab builds a lab from a spec (removing an earlier run of the same name first) and returns it. */
export async function createLab(spec: LabSpec = {}, options: CreateLabOptions = {}): Promise<Lab> {
  const plan = planLab(spec);
  const progress = options.onProgress ?? (() => undefined);
  return new Lab(await buildLab(plan, progress), progress);
}

/** openLab attaches to a lab built earlier (by any process) through its state file; undefined when there is none. */
export function openLab(
  name: string,
  options: { readonly stateDir?: string } & CreateLabOptions = {},
): Lab | undefined {
  const plan = planLab({
    name,
    ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
    nodes: 1,
    podsPerNode: 0,
  });
  const state = readLabState(plan.stateFile);
  return state ? new Lab(new LabRecorder(state), options.onProgress ?? (() => undefined)) : undefined;
}

/** Lab is a built lab. Use it in try/finally and call down(). */
export class Lab {
  readonly #rec: LabRecorder;
  readonly #progress: Progress;
  readonly #children = new Set<NetnsProcess>();
  #logSeq = 0;
  #down: Promise<TeardownReport> | undefined;

  /** Use createLab or openLab. */
  constructor(rec: LabRecorder, progress: Progress) {
    this.#rec = rec;
    this.#progress = progress;
  }

  /** name is the lab's name (the prefix of its namespaces). */
  get name(): string {
    return this.plan.name;
  }

  /** plan is every name and address of the lab, as built. */
  get plan(): LabPlan {
    return this.#rec.state.plan;
  }

  /** nodes are the lab's nodes. */
  get nodes(): readonly PlannedNode[] {
    return this.plan.nodes;
  }

  /** pods are the pods currently in the lab (addPod/removePod change them). */
  get pods(): readonly PlannedPod[] {
    return this.#rec.state.pods;
  }

  /** client is the external client on the underlay. */
  get client(): LabPlan["client"] {
    return this.plan.client;
  }

  /** processes are the records of lab-started processes still running. */
  get processes(): LabState["processes"] {
    return this.#rec.state.processes;
  }

  /** state is the lab's recorded state (as in its state file); read-only. */
  get state(): Readonly<LabState> {
    return this.#rec.state;
  }

  /** node returns a node by name ("node-1"), or throws. */
  node(name: string): PlannedNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new RangeError(`lab "${this.name}": no node "${name}"`);
    return n;
  }

  /** pod returns a pod by name in a Kubernetes namespace ("default" when omitted), or throws. */
  pod(name: string, namespace = "default"): PlannedPod {
    const p = this.pods.find((x) => x.name === name && x.namespace === namespace);
    if (!p) throw new RangeError(`lab "${this.name}": no pod "${name}" in namespace "${namespace}"`);
    return p;
  }

  /**
   * netnsOf resolves a target (pod, node, "client", "underlay", or one of the lab's namespace
   * names) to its network namespace. A pod is looked up in Kubernetes namespace `namespace`
   * ("default" when omitted); given a namespace, only a pod matches.
   */
  netnsOf(target: string, namespace?: string): string {
    if (namespace !== undefined) return this.pod(target, namespace).netns;
    if (target === "client") return this.client.netns;
    if (target === "underlay") return this.plan.underlay.netns;
    const found =
      this.pods.find((p) => p.name === target && p.namespace === "default")?.netns ??
      this.nodes.find((n) => n.name === target)?.netns;
    if (found) return found;
    if (this.#rec.state.namespaces.includes(target)) return target;
    throw new RangeError(
      `lab "${this.name}": no pod, node or namespace "${target}" (try "client", "node-1", or a pod name)`,
    );
  }

  /** addPod creates one more pod on a node (lowest free address) and writes its Pod resource. */
  async addPod(node: string, options: AddPodOptions = {}): Promise<PlannedPod> {
    const pod = planPod(this.plan, this.pods, {
      node,
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.labels !== undefined ? { labels: options.labels } : {}),
      ...(options.ports !== undefined ? { ports: options.ports } : {}),
    });
    const label = `add pod ${pod.namespace}/${pod.name} on ${pod.node}: netns ${pod.netns}, ${pod.ip}`;
    this.#progress(label);
    try {
      this.#rec.createNetns(pod.netns);
      buildPod(this.plan, pod);
      this.#rec.state.pods.push(pod);
      // The API server would refuse a pod in a missing namespace; the lab creates it instead.
      if (!this.#rec.state.datastoreFiles.includes(namespaceFileName(pod.namespace))) {
        this.#rec.addDatastoreFile(writeNamespaceResource(this.plan, pod.namespace));
      }
      this.#rec.addDatastoreFile(writePodResource(this.plan, pod));
      return pod;
    } catch (cause) {
      await this.#dropPod(pod).catch(() => undefined);
      throw new LabStepError(this.name, label, { cause });
    }
  }

  /** removePod stops the lab's processes in the pod, deletes its namespace and veth, and its Pod resource. */
  async removePod(name: string, namespace = "default"): Promise<void> {
    const pod = this.pod(name, namespace);
    this.#progress(`remove pod ${pod.namespace}/${pod.name}`);
    await this.#dropPod(pod);
  }

  async #dropPod(pod: PlannedPod): Promise<void> {
    await Promise.all([...this.#children].filter((c) => c.netns === pod.netns).map((c) => c.stop()));
    // Processes another command started there (e.g. `lab up`'s traffic servers) are only in the record.
    const recorded = this.#rec.state.processes.filter((r) => r.netns === pod.netns);
    if (recorded.length > 0) {
      await stopRecordedProcesses(recorded);
      for (const r of recorded) this.#rec.removeProcess(r.pid);
    }
    unplugPod(this.plan, pod);
    if (this.#rec.state.namespaces.includes(pod.netns)) {
      try {
        deleteNetns(pod.netns);
      } catch (err) {
        // ENOENT: the create itself failed; nothing to delete.
        if ((err as { code?: string }).code !== "ENOENT") throw err;
      }
      this.#rec.forgetNetns(pod.netns);
    }
    const file = podFileName(pod);
    if (this.#rec.state.datastoreFiles.includes(file)) {
      removeDatastoreFiles(this.plan.datastoreDir, [file]);
      this.#rec.removeDatastoreFile(file);
    }
    this.#rec.state.pods = this.#rec.state.pods.filter(
      (p) => p.name !== pod.name || p.namespace !== pod.namespace,
    );
    this.#rec.save();
  }

  /** spawn starts a process in a target's namespace; it is recorded until it exits and stopped by down(). */
  async spawn(
    target: string,
    argv: readonly string[],
    options: SpawnInNetnsOptions = {},
  ): Promise<NetnsProcess> {
    if (this.#down) throw new Error(`spawn in lab "${this.name}": the lab is down`);
    const netns = this.netnsOf(target);
    const proc = await spawnInNetns(netns, argv, options);
    this.#children.add(proc);
    this.#rec.addProcess({
      pid: proc.pid,
      startTime: proc.startTime,
      target,
      netns,
      argv: [...argv],
      ...(proc.logFile !== undefined ? { logFile: proc.logFile } : {}),
    });
    void proc.exited.then(() => {
      this.#children.delete(proc);
      this.#rec.removeProcess(proc.pid);
    });
    return proc;
  }

  /** exec runs a command in a target's namespace to completion (killed after timeoutMs, default 30 s). */
  async exec(target: string, argv: readonly string[], options: ExecInNetnsOptions = {}): Promise<ExecResult> {
    const proc = await this.spawn(target, argv, {
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    return collectOutput(proc, options);
  }

  /**
   * startOnNode runs a long-lived process (the Sluice agent) in a node's namespace with that
   * node's identity and its own bpffs pin root in the environment, logging to a file.
   * Environment: SLUICE_LAB, SLUICE_NODE_NAME, SLUICE_NODE_IP, SLUICE_BPFFS_ROOT, SLUICE_DATASTORE_DIR,
   * SLUICE_STATE_DIR (`<runDir>/state/<node>`).
   */
  async startOnNode(
    node: string,
    argv: readonly string[],
    env: Readonly<Record<string, string>> = {},
    options: Pick<SpawnInNetnsOptions, "detached"> = {},
  ): Promise<NetnsProcess> {
    const n = this.node(node);
    const logFile = `${this.plan.logDir}/${n.name}-${basename(argv[0] ?? "process")}-${++this.#logSeq}.log`;
    this.#progress(`start ${argv.join(" ")} on ${n.name} (log ${logFile})`);
    return this.spawn(n.name, argv, {
      ...options,
      logFile,
      env: {
        SLUICE_LAB: this.name,
        SLUICE_NODE_NAME: n.name,
        SLUICE_NODE_IP: n.ip,
        SLUICE_BPFFS_ROOT: n.bpffsDir,
        SLUICE_DATASTORE_DIR: this.plan.datastoreDir,
        // The agent's restart snapshots: in the run directory, which `down` removes.
        SLUICE_STATE_DIR: `${this.plan.runDir}/state/${n.name}`,
        ...env,
      },
    });
  }

  /** down stops the lab's processes and removes everything the lab made. Idempotent; throws when something could not be removed. */
  async down(): Promise<TeardownReport> {
    this.#down ??= (async () => {
      this.#progress("down");
      await Promise.all([...this.#children].map((c) => c.stop()));
      const report = await teardownLab(this.plan, this.#rec.state, { onProgress: this.#progress });
      this.#rec.close();
      if (report.errors.length > 0) {
        throw new AggregateError(
          report.errors,
          `lab "${this.name}" down: ${report.errors.map((e) => e.message).join("; ")}`,
        );
      }
      return report;
    })();
    return this.#down;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}
