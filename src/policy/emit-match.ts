/**
 * emitMatch writes the code for one rule's criteria: every check that fails jumps to `fail`;
 * falling through means the rule matched. The order is matchRule's (match-rule.ts). Registers:
 * r7 holds the sl_policy_state pointer (callee-saved, survives helper calls); r1-r5 and r0 are
 * scratch; the IP-set lookup key is built at fp-16.
 *
 * The destination port: nearly every rule checks it, and a 10,000-rule policy's load time is the
 * verifier walking the rules. So each chunk's prologue (emitDstPortWord) folds "has L4 ports"
 * into one word — the port, or NO_PORTS (above every port) — and parks it in the state's `tier`
 * output field, unused until a decision overwrites it. A rule then loads that word and compares
 * (one or two jumps) instead of testing the flags and loading the port. It lives in the map
 * value, not in a register or on the stack, on purpose: the verifier tracks registers and stack
 * spills, so every compare would narrow a long-lived value and leave states that never prune
 * against each other (a cached register made the walk blow past a million instructions); a
 * load from a map value is a fresh unknown each time and dies within the rule.
 *
 * The word also carries the protocol above the port (bits 17-24): a rule with a protocol and one
 * destination port range — nearly every Kubernetes rule — checks both with one subtraction and
 * one unsigned compare (emitProtoAndPort), one branch instead of two. Rules that read the port
 * any other way mask the protocol off first.
 */
import type { Assembler } from "../bpf/asm/assembler.ts";
import { Reg, type Register } from "../bpf/asm/opcodes.ts";
import { SL_IPSET_LOOKUP_LEN, SL_POL_F_L4_PORTS } from "../datapath/abi/abi.ts";
import { ipv4Mask } from "../model/ipv4.ts";
import { cachedCidrs } from "./match-rule.ts";
import { PolicyMapName } from "./policy-maps.ts";
import type { IcmpMatch, PortRange, RuleMatch } from "./rule-ir.ts";
import { IpsetKey, State, type FieldRef } from "./state-fields.ts";

const { R0, R1, R2, R7, R10 } = Reg;
/** The word a rule compares destination ports against; DST_PORT_WORD holds it until a decision. */
const DST_PORT_WORD = State.tier;
const NO_PORTS = 0x10000;
/** The protocol's shift in DST_PORT_WORD: above the port and NO_PORTS. */
const PROTO_SHIFT = 17;
const PORT_BITS = (1 << PROTO_SHIFT) - 1;
const KEY = -16;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

/** bswap32 gives the value an ldx of a network-order address reads on a little-endian machine. */
function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * emitDstPortWord writes the destination port, or NO_PORTS when the packet has none, with the
 * protocol above it (proto << PROTO_SHIFT), into DST_PORT_WORD.
 */
export function emitDstPortWord(a: Assembler): void {
  if (SL_POL_F_L4_PORTS !== 1) throw new Error("generate policy: SL_POL_F_L4_PORTS is no longer bit 0");
  // ((flags & L4_PORTS) ^ L4_PORTS) << 16 is NO_PORTS exactly when the flag is clear (no branch).
  a.ldx(State.flags.size, R1, R7, State.flags.offset)
    .alu32Imm("and", R1, SL_POL_F_L4_PORTS)
    .alu32Imm("xor", R1, SL_POL_F_L4_PORTS)
    .alu32Imm("lsh", R1, 16)
    .ldx(State.dstPort.size, R2, R7, State.dstPort.offset)
    .alu32Reg("or", R1, R2)
    .ldx(State.proto.size, R2, R7, State.proto.offset)
    .alu32Imm("lsh", R2, PROTO_SHIFT)
    .alu32Reg("or", R1, R2)
    .stx(DST_PORT_WORD.size, R7, DST_PORT_WORD.offset, R1);
}

/** fusedDstRange is the one positive destination range a rule with a protocol checks with it, if any. */
function fusedDstRange(m: RuleMatch): PortRange | undefined {
  if (m.protocol === undefined || m.dstNamedPortSets !== undefined || m.dstPorts?.length !== 1)
    return undefined;
  return m.dstPorts[0];
}

// Protocol and one destination range in one branch: word - (proto << PROTO_SHIFT | first), as
// an unsigned 32-bit value, is at most last - first exactly when the protocol is equal and the
// port in range. Another protocol differs by at least 1 << PROTO_SHIFT (or wraps below zero);
// NO_PORTS puts the word at least 0x10000 - first above the base, past last - first.
function emitProtoAndPort(a: Assembler, protocol: number, r: PortRange, fail: string): void {
  a.ldx(DST_PORT_WORD.size, R1, R7, DST_PORT_WORD.offset)
    .alu32Imm("sub", R1, ((protocol << PROTO_SHIFT) | r.first) >>> 0)
    .jmp32Imm("jgt", R1, r.last - r.first, fail);
}

/**
 * emitMatch emits `m`'s checks; `fail` is where a mismatch goes (DST_PORT_WORD written:
 * emitDstPortWord). Labels it defines are `<prefix>_<suffix>`, unique to the rule. It runs twice
 * per rule of a 10,000-rule policy (sizing, then the chunk), so it makes no closures: under tsx
 * each function expression also costs a __name call.
 */
export function emitMatch(a: Assembler, m: RuleMatch, fail: string, prefix: string): void {
  const { proto, ipVersion } = State;
  const fused = fusedDstRange(m);
  if (fused !== undefined) emitProtoAndPort(a, m.protocol!, fused, fail);
  else if (m.protocol !== undefined)
    a.ldx(proto.size, R1, R7, proto.offset).jmp32Imm("jne", R1, m.protocol, fail);
  if (m.notProtocol !== undefined)
    a.ldx(proto.size, R1, R7, proto.offset).jmp32Imm("jeq", R1, m.notProtocol, fail);
  if (m.ipVersion !== undefined)
    a.ldx(ipVersion.size, R1, R7, ipVersion.offset).jmp32Imm("jne", R1, m.ipVersion, fail);
  if (m.icmp !== undefined) emitIcmp(a, m.icmp, false, fail, `${prefix}_icmp`);
  if (m.notIcmp !== undefined) emitIcmp(a, m.notIcmp, true, fail, `${prefix}_nicmp`);
  if (m.srcNets !== undefined) emitNets(a, State.srcAddr, m.srcNets, false, fail, `${prefix}_sn`);
  if (m.notSrcNets !== undefined) emitNets(a, State.srcAddr, m.notSrcNets, true, fail, `${prefix}_nsn`);
  if (m.dstNets !== undefined) emitNets(a, State.dstAddr, m.dstNets, false, fail, `${prefix}_dn`);
  if (m.notDstNets !== undefined) emitNets(a, State.dstAddr, m.notDstNets, true, fail, `${prefix}_ndn`);
  if (m.srcPorts !== undefined || m.srcNamedPortSets !== undefined) {
    emitPorts(
      a,
      State.srcAddr,
      State.srcPort,
      m.srcPorts ?? [],
      m.srcNamedPortSets ?? [],
      false,
      fail,
      `${prefix}_sp`,
    );
  }
  if (fused === undefined && (m.dstPorts !== undefined || m.dstNamedPortSets !== undefined))
    emitDstPorts(a, m.dstPorts ?? [], m.dstNamedPortSets ?? [], false, fail, `${prefix}_dp`);
  if (m.notSrcPorts !== undefined || m.notSrcNamedPortSets !== undefined) {
    emitPorts(
      a,
      State.srcAddr,
      State.srcPort,
      m.notSrcPorts ?? [],
      m.notSrcNamedPortSets ?? [],
      true,
      fail,
      `${prefix}_nsp`,
    );
  }
  if (m.notDstPorts !== undefined || m.notDstNamedPortSets !== undefined)
    emitDstPorts(a, m.notDstPorts ?? [], m.notDstNamedPortSets ?? [], true, fail, `${prefix}_ndp`);
  for (const id of m.srcSets ?? []) emitSetLookup(a, State.srcAddr, id).jmpImm("jeq", R0, 0, fail);
  for (const id of m.notSrcSets ?? []) emitSetLookup(a, State.srcAddr, id).jmpImm("jne", R0, 0, fail);
  for (const id of m.dstSets ?? []) emitSetLookup(a, State.dstAddr, id).jmpImm("jeq", R0, 0, fail);
  for (const id of m.notDstSets ?? []) emitSetLookup(a, State.dstAddr, id).jmpImm("jne", R0, 0, fail);
}

function emitIcmp(a: Assembler, m: IcmpMatch, negate: boolean, fail: string, ok: string): void {
  const isIcmp = `${ok}_is`;
  a.ldx(State.proto.size, R1, R7, State.proto.offset)
    .jmp32Imm("jeq", R1, IPPROTO_ICMP, isIcmp)
    .jmp32Imm("jne", R1, IPPROTO_ICMPV6, fail)
    .label(isIcmp);
  a.ldx(State.icmpType.size, R1, R7, State.icmpType.offset);
  if (!negate) {
    a.jmp32Imm("jne", R1, m.type, fail);
    if (m.code !== undefined)
      a.ldx(State.icmpCode.size, R1, R7, State.icmpCode.offset).jmp32Imm("jne", R1, m.code, fail);
    return;
  }
  if (m.code === undefined) {
    a.jmp32Imm("jeq", R1, m.type, fail);
    return;
  }
  a.jmp32Imm("jne", R1, m.type, ok)
    .ldx(State.icmpCode.size, R1, R7, State.icmpCode.offset)
    .jmp32Imm("jeq", R1, m.code, fail)
    .label(ok);
}

// Any-of (or, negated, none-of) CIDRs on an address loaded in network order: compare under the
// byte-swapped mask instead of swapping the address.
// A /0 in the list makes the criterion always true (any-of) — nothing to emit — or always false
// (none-of), which neverMatches() already turned into "rule left out".
function emitNets(
  a: Assembler,
  addr: FieldRef,
  nets: readonly string[],
  negate: boolean,
  fail: string,
  ok: string,
): void {
  const cidrs = cachedCidrs(nets);
  if (cidrs.some((c) => c.prefixLen === 0)) {
    if (negate) throw new Error("generate policy: a none-of list with /0 reached the generator");
    return;
  }
  a.ldx(addr.size, R1, R7, addr.offset);
  // The last CIDR is tested on r1 itself (dead afterwards): for any-of, a mismatch there goes
  // straight to fail and a match falls through to `ok` — no copy, no closing jump.
  const target = negate ? fail : ok;
  for (let i = 0; i < cidrs.length; i++) {
    const c = cidrs[i]!;
    const last = i === cidrs.length - 1;
    // A /32 compares r1 unmasked; a shorter prefix masks r1 in place when last, else a copy.
    const reg = last || c.prefixLen === 32 ? R1 : R2;
    if (c.prefixLen < 32) {
      if (reg === R2) a.mov64Reg(R2, R1);
      a.alu32Imm("and", reg, bswap32(ipv4Mask(c.prefixLen)));
    }
    if (last && !negate) a.jmp32Imm("jne", reg, bswap32(c.addr), fail);
    else a.jmp32Imm("jeq", reg, bswap32(c.addr), target);
  }
  if (!negate && cidrs.length > 1) a.label(ok);
}

function emitPorts(
  a: Assembler,
  addr: FieldRef,
  port: FieldRef,
  ranges: readonly PortRange[],
  named: readonly number[],
  negate: boolean,
  fail: string,
  ok: string,
): void {
  a.ldx(State.flags.size, R1, R7, State.flags.offset)
    .alu32Imm("and", R1, SL_POL_F_L4_PORTS)
    .jmp32Imm("jeq", R1, 0, fail);
  const hit = negate ? fail : ok;
  if (ranges.length > 0) a.ldx(port.size, R1, R7, port.offset);
  if (!negate && ranges.length === 1 && named.length === 0) {
    // One range: fail below or above it (no join label needed).
    const r = ranges[0]!;
    if (r.first === r.last) {
      a.jmp32Imm("jne", R1, r.first, fail);
      return;
    }
    emitInRange(a, R1, r, fail, false);
    return;
  }
  ranges.forEach((r, i) => {
    if (r.first === r.last) {
      a.jmp32Imm("jeq", R1, r.first, hit);
      return;
    }
    const below = `${ok}_r${i}`;
    if (r.first > 0) a.jmp32Imm("jlt", R1, r.first, below);
    a.jmp32Imm("jle", R1, r.last, hit);
    if (r.first > 0) a.label(below);
  });
  for (const id of named) emitSetLookup(a, addr, id, port).jmpImm("jne", R0, 0, hit);
  if (negate) return;
  a.ja(fail).label(ok);
}

// Destination ports from DST_PORT_WORD (in r1). A positive single range needs no "has ports"
// test: NO_PORTS lies above every range (so the upper bound is always checked). Otherwise a word
// above 0xffff fails first. A named-port lookup reloads it (the helper call clobbers r1).
function emitDstPorts(
  a: Assembler,
  ranges: readonly PortRange[],
  named: readonly number[],
  negate: boolean,
  fail: string,
  ok: string,
): void {
  const DST_PORT = R1;
  a.ldx(DST_PORT_WORD.size, DST_PORT, R7, DST_PORT_WORD.offset).alu32Imm("and", DST_PORT, PORT_BITS);
  if (!negate && ranges.length === 1 && named.length === 0) {
    const r = ranges[0]!;
    if (r.first === r.last) {
      a.jmp32Imm("jne", DST_PORT, r.first, fail);
      return;
    }
    emitInRange(a, DST_PORT, r, fail, true);
    return;
  }
  a.jmp32Imm("jge", DST_PORT, NO_PORTS, fail);
  const hit = negate ? fail : ok;
  ranges.forEach((r, i) => {
    if (r.first === r.last) {
      a.jmp32Imm("jeq", DST_PORT, r.first, hit);
      return;
    }
    const below = `${ok}_r${i}`;
    if (r.first > 0) a.jmp32Imm("jlt", DST_PORT, r.first, below);
    a.jmp32Imm("jle", DST_PORT, r.last, hit);
    if (r.first > 0) a.label(below);
  });
  for (const id of named) emitSetLookup(a, State.dstAddr, id, State.dstPort).jmpImm("jne", R0, 0, hit);
  if (negate) return;
  a.ja(fail).label(ok);
}

// One range, one conditional jump: (port - first) as an unsigned 32-bit value exceeds
// last - first exactly when port is below first (it wraps) or above last. A port word of NO_PORTS
// or more lands above the range too. One branch less per rule is one verifier state and one
// explored path less (the 10,000-rule load is the verifier's walk). `reg` is dead afterwards.
// `word`: reg is the destination port word, which may hold NO_PORTS, so 0-65535 is checked too.
function emitInRange(a: Assembler, reg: Register, r: PortRange, fail: string, word: boolean): void {
  if (r.first > 0) a.alu32Imm("sub", reg, r.first);
  if (word || r.first > 0 || r.last < 0xffff) a.jmp32Imm("jgt", reg, r.last - r.first, fail);
}

/** emitSetLookup leaves in r0 the sl_ipsets entry for {id, address[, port, protocol]}, or 0. */
function emitSetLookup(a: Assembler, addr: FieldRef, id: number, port?: FieldRef): Assembler {
  a.st("w", R10, KEY + IpsetKey.prefixlen.offset, SL_IPSET_LOOKUP_LEN).st(
    "w",
    R10,
    KEY + IpsetKey.setId.offset,
    id,
  );
  a.ldx(addr.size, R1, R7, addr.offset).stx(IpsetKey.addr.size, R10, KEY + IpsetKey.addr.offset, R1);
  // port, proto and pad are the key's last 4 bytes; a plain set looks up with them zero.
  a.st("w", R10, KEY + IpsetKey.port.offset, 0);
  if (port !== undefined) {
    a.ldx(port.size, R1, R7, port.offset).stx(IpsetKey.port.size, R10, KEY + IpsetKey.port.offset, R1);
    a.ldx(State.proto.size, R1, R7, State.proto.offset).stx(
      IpsetKey.proto.size,
      R10,
      KEY + IpsetKey.proto.offset,
      R1,
    );
  }
  return a.ldMap(R1, PolicyMapName.ipsets).mov64Reg(R2, R10).alu64Imm("add", R2, KEY).call("map_lookup_elem");
}
