/**
 * compilePolicy turns one endpoint's rule IR (one direction) into BPF programs (SCHED_CLS): tiers
 * in order with the end-of-tier deny, Pass to the next tier, Log through the ring buffer, Allow,
 * Deny, the default action last — split into chunks that tail-call each other through
 * sl_pol_jump when one program would exceed the verifier's limits. Pure: the result is
 * ProgramSpecs whose map references the loader resolves by name (policy-maps.ts).
 *
 * The ABI (abi.h): the caller fills sl_pol_state and tail-calls chunk 0 at `slotBase`; chunk i
 * sits at slotBase + i. A program writes verdict, rule_id and tier, counts the deciding rule in
 * sl_pol_hits, and tail-calls the caller's continuation (sl_policy_state.done_slot); if that slot
 * is empty (SL_POL_SLOT_DONE, 0, in a standalone test) it returns TC_ACT_OK for allow and
 * TC_ACT_SHOT for deny.
 *
 * Target "xdp" (doNotTrack ingress of a host endpoint, bpf/include/untracked.h) emits the same
 * evaluation as XDP programs: its chunks and continuation live in sl_pol_jump_xdp (an XDP
 * program can only tail-call XDP programs), and the standalone verdicts are XDP_PASS / XDP_DROP.
 */
import { Assembler } from "../bpf/asm/assembler.ts";
import { Reg } from "../bpf/asm/opcodes.ts";
import type { ProgramSpec } from "../bpf/program-spec.ts";
import { AttachType, ProgramType } from "../bpf/program-type.ts";
import {
  SL_EVENT_POLICY_LOG,
  SL_POL_MAX_CHUNKS,
  SL_POL_RULE_BROKEN,
  SL_POL_TIER_DEFAULT,
  SlPolVerdict,
} from "../datapath/abi/abi.ts";
import { emitDstPortWord, emitMatch } from "./emit-match.ts";
import { planChunks, planPolicyItems, type ChunkBudget, type PolicyItem } from "./plan-chunks.ts";
import { PolicyMapName } from "./policy-maps.ts";
import type { EndpointPolicy, RuleMatch } from "./rule-ir.ts";
import { LOG_LOST_HIT_ID } from "./rule-ids.ts";
import { LogEvent, State } from "./state-fields.ts";
import { validatePolicy } from "./validate-policy.ts";

const { R0, R1, R2, R3, R6, R7, R10 } = Reg;
/** TS_SLOT is the stack slot a Log rule parks its timestamp in (below the IP-set key at fp-16). */
const TS_SLOT = -24;

/** POLICY_PROGRAM_PREFIX starts every policy chunk's program name (what a restart looks for in the kernel). */
export const POLICY_PROGRAM_PREFIX = "sl_pol_";

/** PolicyTarget is the hook a program runs at: tc (SCHED_CLS) or XDP (doNotTrack ingress). */
export type PolicyTarget = "tc" | "xdp";

/** What differs per target: program type, its prog array and its verdicts. */
interface TargetSpec {
  readonly section: string;
  readonly type: number;
  readonly attachType?: number;
  readonly jump: string;
  readonly allow: number;
  readonly deny: number;
  readonly prefix: string;
}

const TARGETS: Readonly<Record<PolicyTarget, TargetSpec>> = {
  // TC_ACT_OK / TC_ACT_SHOT
  tc: { section: "tc", type: ProgramType.SchedCls, jump: PolicyMapName.jump, allow: 0, deny: 2, prefix: "" },
  // XDP_PASS / XDP_DROP; the attach type matches bpf/xdp.c's programs (one prog array, one kind)
  xdp: {
    section: "xdp",
    type: ProgramType.Xdp,
    attachType: AttachType.Xdp,
    jump: PolicyMapName.jumpXdp,
    allow: 2,
    deny: 1,
    prefix: "x",
  },
};

/** CompileOptions places the chunks in sl_pol_jump and bounds their size. */
export interface CompileOptions {
  /** sl_pol_jump slot of chunk 0; chunk i goes to slotBase + i. */
  readonly slotBase: number;
  /** Instructions per chunk (default 24,000: every jump stays within 16-bit offsets). */
  readonly maxChunkInsns?: number;
  /** Conditional jumps per chunk (default 6,000: the verifier keeps at most 8,192 branches pending). */
  readonly maxChunkJumps?: number;
  /** The hook the programs run at (default "tc"). */
  readonly target?: PolicyTarget;
}

/** PolicyChunk is one generated program and the slot it must occupy. */
export interface PolicyChunk {
  readonly slot: number;
  readonly spec: ProgramSpec;
  readonly labels: ReadonlyMap<string, number>;
}

/** CompiledPolicy is the chunks of one endpoint+direction program; chunk 0 is the entry. */
export interface CompiledPolicy {
  readonly chunks: readonly PolicyChunk[];
}

const DEFAULT_BUDGET: ChunkBudget = { maxInsns: 24_000, maxJumps: 6_000 };

/** compilePolicy generates the chunks; it throws on an invalid IR (validatePolicy) or a policy needing too many chunks. */
export function compilePolicy(policy: EndpointPolicy, options: CompileOptions): CompiledPolicy {
  const target = TARGETS[options.target ?? "tc"];
  const where = `compile policy "${policy.endpoint}" ${policy.direction}${options.target === "xdp" ? " (xdp)" : ""}`;
  validatePolicy(policy);
  const items = planPolicyItems(policy);
  const budget = {
    maxInsns: options.maxChunkInsns ?? DEFAULT_BUDGET.maxInsns,
    maxJumps: options.maxChunkJumps ?? DEFAULT_BUDGET.maxJumps,
  };
  // Each item is sized alone, in one scratch assembler emptied between items (10,000 rules would
  // otherwise be 10,000 assemblers and writers). Sized as if every Pass left the chunk (a tail
  // call, the longer form).
  const scratch = new Assembler();
  const sizer = new ChunkWriter(scratch, target, policy, items, () => -2, -1);
  const costs = items.map((item, i) => {
    scratch.reset();
    sizer.item(item, i);
    return { insns: scratch.length + (item.startsTier === undefined ? 0 : 1), jumps: scratch.jumpCount + 1 };
  });
  costs.forEach((c, i) => {
    const item = items[i]!;
    if (c.insns > budget.maxInsns || c.jumps > budget.maxJumps) {
      const what = item.kind === "rule" ? `rule id "${item.rule.id}"` : item.kind;
      throw new Error(
        `${where}: ${what} needs ${c.insns} instructions and ${c.jumps} jumps, more than one program holds (${budget.maxInsns} / ${budget.maxJumps}); put long CIDR lists in an IP set`,
      );
    }
  });
  const ranges = planChunks(costs, budget);
  if (ranges.length > SL_POL_MAX_CHUNKS)
    throw new Error(
      `${where}: needs ${ranges.length} chunks, at most ${SL_POL_MAX_CHUNKS} fit the tail-call limit`,
    );
  const chunkOfPos = new Map<number, number>();
  ranges.forEach(([s, e], k) => {
    for (let i = s; i < e; i++)
      if (items[i]!.startsTier !== undefined) chunkOfPos.set(items[i]!.startsTier!, k);
  });
  const chunks = ranges.map(([start, end], k) => {
    const a = new Assembler();
    const w = new ChunkWriter(
      a,
      target,
      policy,
      items,
      (pos) => chunkOfPos.get(pos) ?? -1,
      k,
      options.slotBase,
    );
    w.prologue(start, end);
    for (let i = start; i < end; i++) w.item(items[i]!, i);
    if (k < ranges.length - 1 && a.reachable) w.goToChunk(items[end]!.tier, k + 1);
    w.epilogue();
    const assembled = a.assemble();
    const spec: ProgramSpec = {
      name: `${POLICY_PROGRAM_PREFIX}${target.prefix}${policy.direction === "ingress" ? "in" : "eg"}${k}`,
      section: target.section,
      type: target.type,
      ...(target.attachType === undefined ? {} : { attachType: target.attachType }),
      license: "GPL",
      instructions: assembled.instructions,
      mapRelocations: assembled.mapRelocations,
    };
    return { slot: options.slotBase + k, spec, labels: assembled.labels };
  });
  return { chunks };
}

function usesDstPorts(m: RuleMatch): boolean {
  return (
    m.dstPorts !== undefined ||
    m.dstNamedPortSets !== undefined ||
    m.notDstPorts !== undefined ||
    m.notDstNamedPortSets !== undefined
  );
}

/** ChunkWriter emits one chunk; chunkOf(pos) tells which chunk starts tier position `pos`. */
class ChunkWriter {
  private readonly decisions = new Map<string, [number, number]>();

  constructor(
    private readonly a: Assembler,
    private readonly target: TargetSpec,
    private readonly policy: EndpointPolicy,
    private readonly items: readonly PolicyItem[],
    private readonly chunkOf: (pos: number) => number,
    private readonly chunk: number,
    private readonly slotBase = 0,
  ) {}

  /** prologue finds the state and dispatches on next_tier to where evaluation resumes. */
  prologue(start: number, end: number): void {
    const a = this.a;
    a.mov64Reg(R6, R1)
      .st("w", R10, -4, 0)
      .mov64Reg(R2, R10)
      .alu64Imm("add", R2, -4)
      .ldMap(R1, PolicyMapName.state)
      .call("map_lookup_elem");
    a.jmpImm("jne", R0, 0, "have_state")
      .mov64Imm(R0, this.target.deny)
      .exit()
      .label("have_state")
      .mov64Reg(R7, R0);
    if (this.items.slice(start, end).some((it) => it.kind === "rule" && usesDstPorts(it.rule.match)))
      emitDstPortWord(a);
    a.ldx(State.nextTier.size, R1, R7, State.nextTier.offset);
    const first = this.items[start]!;
    // Chunk 0 starts with next_tier 0 (the caller's); a chunk that starts mid-tier resumes with that tier.
    let resume: number | undefined;
    if (this.chunk === 0) resume = 0;
    else if (first.startsTier === undefined) resume = first.tier;
    if (resume !== undefined) a.jmp32Imm("jeq", R1, resume, "body");
    for (let i = start; i < end; i++) {
      const pos = this.items[i]!.startsTier;
      if (pos !== undefined && !(i === start && pos === resume)) a.jmp32Imm("jeq", R1, pos, `pos_${pos}`);
    }
    a.ja("broken").label("body");
  }

  /** item emits one rule, end-of-tier deny or default; code that cannot be reached is left out. */
  item(item: PolicyItem, index: number): void {
    const a = this.a;
    if (item.startsTier !== undefined) a.label(`pos_${item.startsTier}`);
    if (!a.reachable) return;
    if (item.kind === "end-of-tier") return this.decide(SlPolVerdict.SL_POL_DENY, item.ruleId, item.tier);
    if (item.kind === "default") {
      const v = this.policy.defaultAction === "allow" ? SlPolVerdict.SL_POL_ALLOW : SlPolVerdict.SL_POL_DENY;
      return this.decide(v, item.ruleId, SL_POL_TIER_DEFAULT);
    }
    const next = `i${index}_next`;
    emitMatch(a, item.rule.match, next, `i${index}`);
    switch (item.rule.action) {
      case "allow":
        this.decide(SlPolVerdict.SL_POL_ALLOW, item.rule.id, item.tier);
        break;
      case "deny":
        this.decide(SlPolVerdict.SL_POL_DENY, item.rule.id, item.tier);
        break;
      case "pass":
        this.goTo(this.nextTierAfter(item.tier));
        break;
      case "log":
        this.log(item.rule.id, item.tier, `i${index}`);
        break;
    }
    a.label(next);
  }

  /** goToChunk hands evaluation to chunk k at tier position pos (tail call; if it fails, the flow is denied). */
  goToChunk(pos: number, k: number): void {
    const a = this.a;
    a.st("w", R7, State.nextTier.offset, pos)
      .mov64Reg(R1, R6)
      .ldMap(R2, this.target.jump)
      .mov64Imm(R3, this.slotBase + k)
      .call("tail_call")
      .ja("broken");
  }

  /** epilogue: a missing chunk denies; then count the deciding rule and hand over to the caller's done_slot. */
  epilogue(): void {
    const a = this.a;
    for (const [block, [verdict, tier]] of this.decisions) {
      a.label(block)
        .st("w", R7, State.verdict.offset, verdict)
        .st("w", R7, State.tier.offset, tier)
        .ja("done");
    }
    a.label("broken");
    this.store(SlPolVerdict.SL_POL_DENY, SL_POL_RULE_BROKEN, SL_POL_TIER_DEFAULT);
    a.label("done").ldx(State.ruleId.size, R1, R7, State.ruleId.offset);
    this.countHit(null, "done");
    // The caller's continuation (its own slot: it carries that interface's .rodata); slot 0,
    // SL_POL_SLOT_DONE, is always empty, so a standalone program returns its verdict.
    a.mov64Reg(R1, R6).ldMap(R2, this.target.jump);
    a.ldx(State.doneSlot.size, R3, R7, State.doneSlot.offset).call("tail_call");
    a.ldx(State.verdict.size, R1, R7, State.verdict.offset)
      .mov64Imm(R0, this.target.deny)
      .jmp32Imm("jne", R1, SlPolVerdict.SL_POL_ALLOW, "ret");
    a.mov64Imm(R0, this.target.allow).label("ret").exit();
  }

  private nextTierAfter(t: number): number {
    const tiers = this.policy.tiers;
    for (let n = t + 1; n < tiers.length; n++) if (tiers[n]!.policies.length > 0) return n;
    return tiers.length;
  }

  private goTo(pos: number): void {
    const k = this.chunkOf(pos);
    if (k === this.chunk) this.a.ja(`pos_${pos}`);
    else this.goToChunk(pos, k);
  }

  private store(verdict: number, ruleId: number, tier: number): void {
    this.a
      .st("w", R7, State.verdict.offset, verdict)
      .st("w", R7, State.ruleId.offset, ruleId)
      .st("w", R7, State.tier.offset, tier);
  }

  // A rule's decision is two instructions: store its id and jump to the block, shared by every
  // rule of the chunk with the same verdict and tier, that stores those two (emitted at the end).
  // The id goes to memory rather than a register so that the verifier, reaching the block with
  // nothing rule-specific live, prunes there instead of walking the block once per rule.
  private decide(verdict: number, ruleId: number, tier: number): void {
    const block = `decide_${verdict}_${tier}`;
    this.decisions.set(block, [verdict, tier]);
    this.a.st("w", R7, State.ruleId.offset, ruleId).ja(block);
  }

  // sl_pol_hits[rule id] += 1, the id in r1 (null) or an immediate. Per-CPU: no atomic needed.
  private countHit(ruleId: number | null, prefix: string): void {
    const a = this.a;
    if (ruleId === null) a.stx("w", R10, -4, R1);
    else a.st("w", R10, -4, ruleId);
    a.mov64Reg(R2, R10)
      .alu64Imm("add", R2, -4)
      .ldMap(R1, PolicyMapName.hits)
      .call("map_lookup_elem")
      .jmpImm("jeq", R0, 0, `${prefix}_nohit`);
    a.ldx("dw", R1, R0, 0).alu64Imm("add", R1, 1).stx("dw", R0, 0, R1).label(`${prefix}_nohit`);
  }

  // A Log rule: the tuple and the rule on sl_pol_events (if the ring is full, counted as lost in
  // sl_pol_hits[LOG_LOST_HIT_ID]), the rule's hit counted, then on. The timestamp is taken first and parked on the stack, so the record pointer can stay in
  // r0 (no helper call while it is in use) and r8/r9 keep their cached fields.
  private log(ruleId: number, tier: number, prefix: string): void {
    const a = this.a;
    a.call("ktime_get_ns").stx("dw", R10, TS_SLOT, R0);
    a.ldMap(R1, PolicyMapName.events)
      .mov64Imm(R2, LogEvent.size)
      .mov64Imm(R3, 0)
      .call("ringbuf_reserve")
      .jmpImm("jeq", R0, 0, `${prefix}_nolog`);
    a.st(LogEvent.type.size, R0, LogEvent.type.offset, SL_EVENT_POLICY_LOG).st(
      LogEvent.len.size,
      R0,
      LogEvent.len.offset,
      LogEvent.size,
    );
    for (const [from, to] of LogEvent.tuple)
      a.ldx(from.size, R1, R7, from.offset).stx(to.size, R0, to.offset, R1);
    a.st(LogEvent.ruleId.size, R0, LogEvent.ruleId.offset, ruleId).st(
      LogEvent.tier.size,
      R0,
      LogEvent.tier.offset,
      tier,
    );
    a.ldx("dw", R1, R10, TS_SLOT).stx(LogEvent.tsNs.size, R0, LogEvent.tsNs.offset, R1);
    a.mov64Reg(R1, R0).mov64Imm(R2, 0).call("ringbuf_submit").ja(`${prefix}_logged`);
    a.label(`${prefix}_nolog`);
    this.countHit(LOG_LOST_HIT_ID, `${prefix}_lost`);
    a.label(`${prefix}_logged`);
    this.countHit(ruleId, prefix);
  }
}
