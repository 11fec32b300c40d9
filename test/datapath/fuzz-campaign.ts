/**
 * runCampaign: one seeded fuzz run against node 1's real tc programs. It draws a Service table,
 * installs it through calc → NatReconciler → the kernel maps (optionally broken by a mutation),
 * then feeds frames round-robin to from_wep / to_wep (four pod interfaces), from_hep and to_hep
 * under BPF_PROG_TEST_RUN, judging every run against the model. Conntrack, affinity and
 * fragment maps are emptied with the model's state every batch (well inside the shortest
 * conntrack timeout), and batches alternate Tunnel and DSR mode. On a disagreement it shrinks
 * the batch to a minimal reproduction (the failing frame alone, else with the earlier frames of
 * the same address pair) and reports it with the seed.
 */
import type { Program } from "../../src/bpf/program.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { toHex } from "../packet/bytes.ts";
import { verdictName } from "../support/prog-test-run.ts";
import { loadNode, makeNetns, PROGRAMS, type DpNode, type ProgramName } from "./dp-harness.ts";
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { judgeRun } from "./fuzz-check.ts";
import { makeFrameGen } from "./fuzz-frames.ts";
import { clearFlowState, installServices, type Mutation } from "./fuzz-install.ts";
import { FuzzModel, type ProgramSide } from "./fuzz-model.ts";
import { makeRng } from "./fuzz-rng.ts";
import { generateServiceTable } from "./fuzz-services.ts";
import { FW, fillRoutes } from "./fuzz-world.ts";
import { ip4At, viewFrame } from "./fuzz-parse.ts";

/** CampaignOptions: the seed, frames per program, and an optional deliberate breakage. */
export interface CampaignOptions {
  readonly seed: number;
  readonly perProgram: number;
  readonly services?: number;
  /** Break the installed maps (the model still believes the table is installed). */
  readonly mutation?: Mutation;
  /** Replace every program's result by "pass, unchanged" (a datapath that does nothing). */
  readonly passThrough?: boolean;
  readonly batch?: number;
  /** Stop after this many disagreements. */
  readonly maxFailures?: number;
}

/** Failure is one disagreement with its reproduction. */
export interface Failure {
  readonly text: string;
}

/** CampaignReport sums up a run. */
export interface CampaignReport {
  readonly frames: Record<ProgramName, number>;
  readonly failures: readonly Failure[];
  /** Frames whose only disagreement is a named, not yet merged change (see ETP_SHORT_CIRCUIT_LANDED). */
  readonly knownGaps: Record<string, number>;
  /** How often each outcome kind was held to (after DNAT resolution): shows what the run covered. */
  readonly outcomes: Record<string, number>;
  /** How often each model rule decided a frame (the rule text up to its first ";" or "("). */
  readonly rules: Record<string, number>;
  readonly ms: number;
}

interface Step {
  side: ProgramSide;
  input: Uint8Array;
}

/** testRunAccepts: BPF_PROG_TEST_RUN refuses IPv4 frames under 34 bytes and IPv6 under 54 (EINVAL). */
function testRunAccepts(b: Uint8Array): boolean {
  const type = (b[12]! << 8) | b[13]!;
  return b.length >= 14 && !((type === 0x0800 && b.length < 34) || (type === 0x86dd && b.length < 54));
}

/** runCampaign runs one seeded campaign (needs root: loads tc.o, a throwaway netns). */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignReport> {
  const started = Date.now();
  const r = makeRng(opts.seed);
  const table = generateServiceTable(r, opts.services ?? 14);
  const node = await loadNode(FW.node1);
  const ns = makeNetns();
  const frames = { from_wep: 0, to_wep: 0, from_hep: 0, to_hep: 0 } as Record<ProgramName, number>;
  const failures: Failure[] = [];
  const knownGaps: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const rules: Record<string, number> = {};
  try {
    fillRoutes(node);
    installServices(node, table, opts.mutation ?? "none");
    const hep = await node.iface({ ifindex: FW.hepIfindex, role: "hep" });
    const weps = new Map<number, Record<ProgramName, Program>>();
    for (const p of FW.localPods) weps.set(p.ifindex, await node.iface({ ifindex: p.ifindex, role: "wep" }));
    const progOf = (s: ProgramSide): Program =>
      (s.pod !== undefined ? weps.get(s.pod.ifindex)! : hep)[s.prog];
    const ifindexOf = (s: ProgramSide): number => s.pod?.ifindex ?? FW.hepIfindex;
    const model = new FuzzModel(table);
    const gen = makeFrameGen(r, model);
    const batch = opts.batch ?? 4000;
    const total = opts.perProgram * PROGRAMS.length;
    const maxFailures = opts.maxFailures ?? 3;

    const runOne = (step: Step) => {
      const o = model.expect(step.side, step.input);
      const prog = progOf(step.side);
      const ifindex = ifindexOf(step.side);
      const before = new Map<number, bigint>();
      // a DNAT may still end in a drop decided after the pick (SCTP port change, no room for DSR) or a known gap
      const watch =
        o.kind === "drop"
          ? [o.reason]
          : o.kind === "dnat"
            ? [
                SlReason.SL_R_DROP_NO_LOCAL_BACKEND,
                SlReason.SL_R_DROP_SCTP_PORT_NAT,
                SlReason.SL_R_DROP_IPV4_OPTIONS_DSR,
              ]
            : [];
      for (const reason of watch) before.set(reason, node.counters.get(ifindex, reason).packets);
      let verdict: string;
      let data: Uint8Array;
      if (opts.passThrough) {
        verdict = "OK";
        data = step.input;
      } else {
        const res = prog.testRun({ data: step.input, dataSizeOut: step.input.length + 256 });
        verdict = verdictName("tc", res.retval);
        data = res.data;
      }
      const dropCounted = (reason: number): number => {
        const b = before.get(reason);
        return b === undefined ? 0 : Number(node.counters.get(ifindex, reason).packets - b);
      };
      const natChoice = (): { addr: string; port: number } | undefined => {
        const v = viewFrame(step.input);
        if (v.kind !== "ipv4") return undefined;
        const e = node.ct.get({ src: v.src, dst: v.dst, sport: v.sport, dport: v.dport, proto: v.proto });
        return e?.type === "nat-fwd" ? e.nat : undefined;
      };
      return { o, j: judgeRun(o, { verdict, data, dropCounted, natChoice }, step.input), verdict, data };
    };

    for (let done = 0, batchNo = 0; done < total && failures.length < maxFailures; batchNo++) {
      clearFlowState(node);
      model.forget();
      model.dsr = batchNo % 2 === 1;
      node.globals.set({ externalServiceMode: model.dsr ? "DSR" : "Tunnel", ctTimeouts: {} });
      const history: Step[] = [];
      withNetns(ns.name, () => {
        for (let i = 0; i < batch && done < total && failures.length < maxFailures; i++, done++) {
          const prog = PROGRAMS[done % PROGRAMS.length]!;
          const side: ProgramSide = prog.endsWith("wep") ? { prog, pod: r.pick(FW.localPods) } : { prog };
          let input = gen(side);
          while (!testRunAccepts(input)) input = gen(side);
          const step = { side, input };
          history.push(step);
          frames[prog]++;
          const { j, verdict, data } = runOne(step);
          if (j.knownGap !== undefined) knownGaps[j.knownGap] = (knownGaps[j.knownGap] ?? 0) + 1;
          outcomes[j.outcome.kind] = (outcomes[j.outcome.kind] ?? 0) + 1;
          const rule =
            "why" in j.outcome
              ? j.outcome.why
                  .replace(/[;(:].*$/, "")
                  .replace(/\d+(\.\d+){3}/g, "<ip>")
                  .replace(/svc-\d+/g, "<svc>")
                  .trim()
              : "";
          rules[rule] = (rules[rule] ?? 0) + 1;
          if (j.why === undefined) continue;
          const repro = shrink(node, model, history, runOne);
          failures.push({
            text: [
              `${prog}${side.pod ? `[${side.pod.ip}]` : ""} frame #${done} (seed ${opts.seed}, batch ${batchNo}, ${model.dsr ? "DSR" : "Tunnel"} mode): ${j.why}`,
              `  input  ${toHex(input)}`,
              `  output ${verdict} ${toHex(data)}`,
              `  minimal reproduction from empty conntrack (${repro.length} frame(s)):`,
              ...repro.map(
                (s) => `    ${s.side.prog}${s.side.pod ? `[${s.side.pod.ip}]` : ""} ${toHex(s.input)}`,
              ),
            ].join("\n"),
          });
          // the rest of this batch would only repeat the divergence
          break;
        }
      });
    }
  } finally {
    node.close();
    ns.remove();
  }
  return { frames, failures, knownGaps, outcomes, rules, ms: Date.now() - started };
}

/** shrink finds a short frame list from empty state whose last frame still disagrees. */
function shrink(
  node: DpNode,
  model: FuzzModel,
  history: readonly Step[],
  runOne: (s: Step) => { j: { why?: string } },
): Step[] {
  const last = history[history.length - 1]!;
  const addrs = (b: Uint8Array): string[] => (b.length >= 34 ? [ip4At(b, 26), ip4At(b, 30)] : []);
  const mine = new Set(addrs(last.input));
  const related = history.slice(0, -1).filter((s) => addrs(s.input).some((a) => mine.has(a)));
  // backends are picked at random, so each candidate gets a few tries
  for (const candidate of [[last], [...related.slice(-8), last], [...related, last]]) {
    for (let attempt = 0; attempt < 4; attempt++) {
      clearFlowState(node);
      model.forget();
      let fails = false;
      for (const s of candidate) fails = runOne(s).j.why !== undefined;
      if (fails) return candidate;
    }
  }
  return [...history];
}
