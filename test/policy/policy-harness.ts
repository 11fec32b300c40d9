/**
 * PolicyHarness runs generated policy programs standalone under BPF_PROG_TEST_RUN: it creates the
 * policy maps (src/policy/policy-maps.ts), loads a CompiledPolicy's chunks into their
 * sl_pol_jump slots, writes IP sets, fills sl_pol_state per packet and reads back the verdict,
 * deciding rule and tier. Needs root (CAP_BPF, CAP_NET_ADMIN). close() releases every fd.
 */
import { BpfMap } from "../../src/bpf/map.ts";
import { patchMapReferences } from "../../src/bpf/patch-map-references.ts";
import { Program } from "../../src/bpf/program.ts";
import { progLoad } from "../../src/kernel/bpf-prog.ts";
import {
  SL_POL_F_L4_PORTS,
  decodeSlPolicyState,
  encodeSlIpsetKey,
  encodeSlPolicyState,
} from "../../src/datapath/abi/abi.ts";
import type { CompiledPolicy } from "../../src/policy/compile-policy.ts";
import { ipSetKey, type IpSetContents } from "../../src/policy/ip-set.ts";
import { PolicyMapName, policyMapSpecs } from "../../src/policy/policy-maps.ts";
import type { PolicyPacket } from "../../src/policy/rule-ir.ts";

/** LoadedPolicy is a CompiledPolicy's programs, installed in sl_pol_jump. */
export interface LoadedPolicy {
  readonly programs: readonly Program[];
  readonly slots: readonly number[];
}

/** ProgramVerdict is what one run left: the program's return value and the state's output fields. */
export interface ProgramVerdict {
  readonly retval: number;
  readonly verdict: number;
  readonly ruleId: number;
  readonly tier: number;
}

// Any Ethernet frame will do: the program reads the tuple from sl_pol_state, not the packet.
const FRAME = new Uint8Array(64);
const ZERO = new Uint8Array(4);

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

export class PolicyHarness {
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly #mapFds: ReadonlyMap<string, number>;
  #setKeys: Uint8Array[] = [];

  constructor() {
    const maps = new Map<string, BpfMap>();
    try {
      for (const spec of policyMapSpecs()) maps.set(spec.name, BpfMap.create(spec));
    } catch (e) {
      for (const m of maps.values()) m.close();
      throw e;
    }
    this.maps = maps;
    this.#mapFds = new Map([...maps].map(([n, m]) => [n, m.fd] as const));
  }

  map(name: string): BpfMap {
    return this.maps.get(name)!;
  }

  /** load verifies every chunk and puts it in its slot. */
  load(compiled: CompiledPolicy): LoadedPolicy {
    const programs: Program[] = [];
    try {
      for (const c of compiled.chunks) {
        const p = Program.load(c.spec, { mapFds: this.#mapFds });
        programs.push(p);
        this.map(PolicyMapName.jump).update(u32(c.slot), u32(p.fd));
      }
    } catch (e) {
      for (const p of programs) p.close();
      throw e;
    }
    return { programs, slots: compiled.chunks.map((c) => c.slot) };
  }

  /**
   * loadAsync verifies the chunks concurrently on libuv's worker threads (Program.loadAsync), as
   * an agent would for a big policy, then fills the slots.
   */
  async loadAsync(compiled: CompiledPolicy): Promise<LoadedPolicy> {
    const results = await Promise.allSettled(
      compiled.chunks.map((c) => Program.loadAsync(c.spec, { mapFds: this.#mapFds })),
    );
    const programs = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      for (const p of programs) p.close();
      throw failed.reason;
    }
    compiled.chunks.forEach((c, i) => this.map(PolicyMapName.jump).update(u32(c.slot), u32(programs[i]!.fd)));
    return { programs, slots: compiled.chunks.map((c) => c.slot) };
  }

  /**
   * verifierProcessed loads each chunk once more with the verifier's statistics (log level 4,
   * BPF_LOG_STATS) and returns its "processed N insns" per chunk — the walk that is the load
   * time. The programs are closed at once; the slots are not touched.
   */
  verifierProcessed(compiled: CompiledPolicy): number[] {
    return compiled.chunks.map((c) => {
      const logBuf = new Uint8Array(4096);
      const r = progLoad({
        type: c.spec.type,
        instructions: patchMapReferences(c.spec, this.#mapFds),
        license: c.spec.license,
        name: c.spec.name,
        logLevel: 4,
        logBuf,
      });
      if (!("fd" in r)) throw new Error(`load program "${c.spec.name}" with statistics: errno ${r.errno}`);
      r.fd.close();
      const m = /processed (\d+) insns/.exec(Buffer.from(logBuf).toString("utf8"));
      if (m === null)
        throw new Error(`load program "${c.spec.name}": no "processed" line in the verifier log`);
      return Number(m[1]);
    });
  }

  /** unload empties the slots and closes the programs. */
  unload(loaded: LoadedPolicy): void {
    for (const s of loaded.slots) {
      try {
        this.map(PolicyMapName.jump).delete(u32(s));
      } catch {
        // already empty
      }
    }
    for (const p of loaded.programs) p.close();
  }

  /** installProgram puts any program (e.g. a DONE continuation) in a slot. */
  installProgram(slot: number, program: Program): void {
    this.map(PolicyMapName.jump).update(u32(slot), u32(program.fd));
  }

  /** setIpSets replaces the contents of sl_ipsets with `sets`. */
  setIpSets(sets: IpSetContents): void {
    const m = this.map(PolicyMapName.ipsets);
    for (const k of this.#setKeys) m.delete(k);
    this.#setKeys = [];
    const value = new Uint8Array(m.valueSize);
    const keys = new Map<string, Uint8Array>();
    for (const [id, members] of sets) {
      for (const member of members) {
        const key = encodeSlIpsetKey(ipSetKey(id, member));
        keys.set(Buffer.from(key).toString("hex"), key);
      }
    }
    for (const key of keys.values()) m.update(key, value);
    this.#setKeys = [...keys.values()];
  }

  /** run fills sl_pol_state on every CPU, runs chunk 0 once and reads what the program wrote. */
  run(loaded: LoadedPolicy, packet: PolicyPacket): ProgramVerdict {
    const state = this.map(PolicyMapName.state);
    const r = this.time(loaded, packet);
    // The CPU that ran the program is the one whose verdict is no longer UNDECIDED (0).
    const out = state
      .lookupPerCpu(ZERO)
      .map(decodeSlPolicyState)
      .find((s) => s.verdict !== 0);
    if (out === undefined)
      throw new Error(`run policy: no cpu's sl_pol_state was decided (retval ${r.retval})`);
    return { retval: r.retval, verdict: out.verdict, ruleId: out.ruleId, tier: out.tier };
  }

  /** time fills sl_pol_state, runs chunk 0 once and returns the kernel-timed duration (ns) and the return value. */
  time(loaded: LoadedPolicy, packet: PolicyPacket): { retval: number; ns: number } {
    const state = this.map(PolicyMapName.state);
    const input = encodeSlPolicyState({
      srcAddr: packet.srcAddr,
      dstAddr: packet.dstAddr,
      srcPort: packet.srcPort,
      dstPort: packet.dstPort,
      proto: packet.proto,
      ipVersion: packet.ipVersion,
      icmpType: packet.icmpType,
      icmpCode: packet.icmpCode,
      flags: packet.hasPorts ? SL_POL_F_L4_PORTS : 0,
      nextTier: 0,
      doneSlot: 0,
      verdict: 0,
      ruleId: 0,
      tier: 0,
    });
    state.updatePerCpu(ZERO, input);
    const r = loaded.programs[0]!.testRun({ data: FRAME });
    return { retval: r.retval, ns: r.duration };
  }

  /** hits sums sl_pol_hits[id] over CPUs. */
  hits(id: number): bigint {
    const values = this.map(PolicyMapName.hits).lookupPerCpu(u32(id));
    return values.reduce((acc, v) => acc + new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 0n);
  }

  /** resetHits zeroes sl_pol_hits[id] on every CPU. */
  resetHits(ids: Iterable<number>): void {
    const zero = new Uint8Array(8);
    for (const id of ids) this.map(PolicyMapName.hits).updatePerCpu(u32(id), zero);
  }

  close(): void {
    for (const m of this.maps.values()) m.close();
  }
}
