/**
 * buildLab runs `up` for a plan: clean what an earlier run of the same lab left behind, then
 * build step by step (recording each thing before creating it), and on any failure roll back
 * everything and throw a LabStepError naming the step.
 */
import { existsSync, mkdirSync } from "node:fs";
import { ensureBpffs } from "../src/kernel/bpffs.ts";
import { listNetns } from "../src/kernel/netns.ts";
import { buildClient, buildNode, buildNodeRoutes, buildPod, buildUnderlay } from "./build-steps.ts";
import {
  writeNamespaceResource,
  writeNodeFelixConfiguration,
  writeNodeResource,
  writePodResource,
} from "./lab-datastore.ts";
import { isLabNetns } from "./lab-names.ts";
import { LabRecorder } from "./lab-recorder.ts";
import { newLabState, readLabState } from "./lab-state.ts";
import type { LabState } from "./lab-state.ts";
import { LabStepError } from "./lab-step-error.ts";
import type { LabPlan } from "./plan.ts";
import { teardownLab } from "./teardown-lab.ts";

/** Progress receives one line per step. */
export type Progress = (line: string) => void;

/** cleanLeftovers removes an earlier run of the lab named in `plan` (state file, and namespaces by name). */
export async function cleanLeftovers(plan: LabPlan, progress: Progress): Promise<void> {
  let old: LabState | undefined;
  try {
    old = readLabState(plan.stateFile);
  } catch (err) {
    progress(`ignoring unreadable state file: ${(err as Error).message}`);
  }
  const strayNetns = listNetns().filter((n) => isLabNetns(plan.name, n));
  if (!old && strayNetns.length === 0 && !existsSync(plan.bpffsRoot) && !existsSync(plan.runDir)) return;
  progress(
    old
      ? `removing the earlier run (state from ${old.createdAt})`
      : `removing leftovers of an earlier run (${strayNetns.length} namespace(s))`,
  );
  for (const p of old ? [old.plan, plan] : [plan]) {
    const report = await teardownLab(p, p === plan ? undefined : old, { onProgress: progress });
    if (report.errors.length > 0) {
      throw new LabStepError(plan.name, "remove the earlier run", {
        cause: new AggregateError(report.errors, report.errors.map((e) => e.message).join("; ")),
      });
    }
  }
}

/** buildLab cleans leftovers and builds the whole lab; returns its recorder (state saved, ready). */
export async function buildLab(plan: LabPlan, progress: Progress): Promise<LabRecorder> {
  await cleanLeftovers(plan, progress);
  const rec = new LabRecorder(newLabState(plan, new Date()));
  const step = (label: string, fn: () => void): void => {
    progress(label);
    try {
      fn();
    } catch (cause) {
      throw new LabStepError(plan.name, label, { cause });
    }
  };
  try {
    step("write state file", () => {
      mkdirSync(plan.logDir, { recursive: true });
      rec.save();
    });
    step(`prepare bpffs pin roots under ${plan.bpffsRoot}`, () => {
      ensureBpffs();
      // Record the root only if we create it, so a configured existing directory is never removed.
      if (!existsSync(plan.bpffsRoot)) rec.makePinDir(plan.bpffsRoot);
      for (const n of plan.nodes) rec.makePinDir(n.bpffsDir);
    });
    step(
      `create underlay ${plan.underlay.netns} (bridge ${plan.underlay.bridge}, ${plan.underlay.cidr})`,
      () => {
        rec.createNetns(plan.underlay.netns);
        buildUnderlay(plan);
      },
    );
    for (const node of plan.nodes) {
      step(`create ${node.name}: netns ${node.netns}, eth0 ${node.ip}, pods ${node.podCidr}`, () => {
        rec.createNetns(node.netns);
        buildNode(plan, node);
      });
    }
    step(`create client ${plan.client.netns} (${plan.client.ip})`, () => {
      rec.createNetns(plan.client.netns);
      buildClient(plan);
    });
    step("route pod CIDRs between nodes", () => {
      for (const node of plan.nodes) buildNodeRoutes(plan, node);
    });
    for (const pod of plan.pods) {
      step(
        `create pod ${pod.name} on ${pod.node}: netns ${pod.netns}, ${pod.ip} via ${pod.hostIface}`,
        () => {
          rec.createNetns(pod.netns);
          buildPod(plan, pod);
          rec.state.pods.push(pod);
          rec.save();
        },
      );
    }
    step(`write Namespace, Node and Pod resources to ${plan.datastoreDir}`, () => {
      // "default" always exists in a cluster; the others as pods use them.
      for (const ns of new Set(["default", ...plan.pods.map((p) => p.namespace)]))
        rec.addDatastoreFile(writeNamespaceResource(plan, ns));
      for (const node of plan.nodes) rec.addDatastoreFile(writeNodeResource(plan, node));
      for (const node of plan.nodes) rec.addDatastoreFile(writeNodeFelixConfiguration(plan, node));
      for (const pod of plan.pods) rec.addDatastoreFile(writePodResource(plan, pod));
    });
    rec.state.ready = true;
    rec.save();
    progress(`ready: ${plan.nodes.length} node(s), ${plan.pods.length} pod(s)`);
    return rec;
  } catch (err) {
    progress(`${(err as Error).message}; rolling back`);
    const report = await teardownLab(plan, rec.state, { onProgress: progress });
    rec.close();
    if (report.errors.length > 0) {
      throw new AggregateError(
        [err, ...report.errors],
        `${(err as Error).message}; rollback also failed: ${report.errors.map((e) => e.message).join("; ")}`,
      );
    }
    throw err;
  }
}
