/**
 * judgeRun: does one program run agree with the model's Outcome? Exact frames are compared byte
 * for byte (checksum fields up to one's-complement zero) and, when the input's checksums held,
 * the output's must hold too by the independent oracle (test/packet); VXLAN and DSR outputs are
 * decoded, their outer headers checked field by field and the inner packet compared exactly; a
 * REJECT must come back with the frontend as source and the client as destination; a DNAT must
 * land on one of the exact candidates, and is then judged as the model resolves it.
 */
import { checksumProblems } from "../packet/assert-checksums.ts";
import { internetChecksum } from "../packet/internet-checksum.ts";
import { parsePacket } from "../packet/parse-packet.ts";
import { sameFrame } from "./fuzz-bytes.ts";
import type { Outcome } from "./fuzz-outcome.ts";
import { ip4At, u16 } from "./fuzz-parse.ts";
import { FW } from "./fuzz-world.ts";
import { SlReason } from "../../src/datapath/abi/abi.ts";

/** Observed is one run: verdict name, output bytes, and how often a counter reason moved. */
export interface Observed {
  readonly verdict: string;
  readonly data: Uint8Array;
  /** dropCounted(reason): packets counted under `reason` by this run. */
  readonly dropCounted: (reason: number) => number;
  /** natChoice reads the backend conntrack recorded for the input's flow (how a dropped DNAT's random pick is learnt). */
  readonly natChoice: () => { addr: string; port: number } | undefined;
}

/** Judgement is agreement (why undefined), disagreement, or a counted known gap. */
export interface Judgement {
  readonly why?: string;
  readonly knownGap?: string;
  /** The outcome the run was finally held to (a DNAT resolved to its backend). */
  readonly outcome: Outcome;
}

function checksumsKept(input: Uint8Array, output: Uint8Array): string | undefined {
  const bad = checksumProblems(parsePacket(output));
  if (bad.length === 0 || checksumProblems(parsePacket(input)).length > 0) return undefined;
  return `checksums broken by the rewrite: ${bad.join("; ")}`;
}

/** isOurVxlan says `data` is a VXLAN packet to a node (the shape the datapath writes). */
function vxlanLayout(data: Uint8Array): boolean {
  return (
    data.length >= 64 &&
    u16(data, 12) === 0x0800 &&
    data[14] === 0x45 &&
    data[23] === 17 &&
    u16(data, 36) === 4789
  );
}

/** landing reads where a DNATed packet went: (address, port), looking inside our VXLAN. */
function landing(data: Uint8Array, inputWasVxlan: boolean): { addr: string; port: number } | undefined {
  if (data.length < 34 || u16(data, 12) !== 0x0800) return undefined;
  const l3 = vxlanLayout(data) && !inputWasVxlan ? 64 : 14;
  if (data.length < l3 + 20) return undefined;
  const ihl = (data[l3]! & 15) * 4;
  return { addr: ip4At(data, l3 + 16), port: u16(data, l3 + ihl + 2) };
}

/** judgeRun compares one run with the model's outcome for its input. */
export function judgeRun(o: Outcome, obs: Observed, input: Uint8Array): Judgement {
  const no = (why: string): Judgement => ({ why, outcome: o });
  switch (o.kind) {
    case "unmodelled":
      return no(`the model has no rule for this frame (${o.why}); the generator must not make it`);
    case "drop": {
      if (obs.verdict !== "SHOT") return no(`must drop (${o.why}), got ${obs.verdict}`);
      const n = obs.dropCounted(o.reason);
      return n === 1
        ? { outcome: o }
        : no(`dropped, but counter reason ${o.reason} moved by ${n}, expected 1 (${o.why})`);
    }
    case "frame": {
      if (obs.verdict !== o.verdict) return no(`must end ${o.verdict} (${o.why}), got ${obs.verdict}`);
      const diff = sameFrame(obs.data, o.bytes, o.checksums);
      if (diff !== undefined) return no(`output differs (${o.why}): ${diff}`);
      const rewritten = obs.data.length !== input.length || obs.data.some((x, i) => x !== input[i]);
      const ck = rewritten ? checksumsKept(input, obs.data) : undefined;
      return ck !== undefined ? no(ck) : { outcome: o };
    }
    case "tunnel": {
      if (obs.verdict !== "OK") return no(`must leave in VXLAN to ${o.node} (${o.why}), got ${obs.verdict}`);
      const d = obs.data;
      if (!vxlanLayout(d)) return no(`must leave in VXLAN to ${o.node} (${o.why}), got no VXLAN`);
      const problems: string[] = [];
      if (ip4At(d, 26) !== FW.node1 || ip4At(d, 30) !== o.node)
        problems.push(`outer ${ip4At(d, 26)} → ${ip4At(d, 30)}, expected ${FW.node1} → ${o.node}`);
      if (u16(d, 16) !== d.length - 14) problems.push(`outer total length ${u16(d, 16)}`);
      if (internetChecksum(d.subarray(14, 34)) !== 0) problems.push("outer header checksum");
      if (u16(d, 20) !== 0x4000 || d[22] !== 64) problems.push("outer DF/TTL");
      if (u16(d, 34) < 49152) problems.push(`outer source port ${u16(d, 34)} outside 49152..65535`);
      if (u16(d, 38) !== d.length - 34 || u16(d, 40) !== 0) problems.push("outer UDP length/checksum");
      if (d[42] !== 0x08 || u16(d, 46) !== 0x0010 || d[48] !== 0 || d[49] !== 0)
        problems.push("VXLAN flags/VNI");
      if (problems.length > 0) return no(`VXLAN header wrong (${o.why}): ${problems.join("; ")}`);
      const diff = sameFrame(d.subarray(50), o.inner, o.checksums);
      if (diff !== undefined) return no(`VXLAN inner packet differs (${o.why}): ${diff}`);
      const ck = checksumsKept(input, d);
      return ck !== undefined ? no(ck) : { outcome: o };
    }
    case "dsr": {
      if (obs.verdict !== "OK")
        return no(`must leave with the DSR option to ${o.node} (${o.why}), got ${obs.verdict}`);
      const diff = sameFrame(obs.data, o.bytes, o.checksums);
      if (diff !== undefined) return no(`DSR output differs (${o.why}): ${diff}`);
      const ck = checksumsKept(input, obs.data);
      return ck !== undefined ? no(ck) : { outcome: o };
    }
    case "reject": {
      if (obs.verdict !== "REDIRECT") return no(`must REJECT (${o.why}), got ${obs.verdict}`);
      const p = parsePacket(obs.data);
      const ip = p.ipv4;
      if (ip === undefined || ip.src !== o.from || ip.dst !== o.to)
        return no(`REJECT must go ${o.from} → ${o.to}, got ${ip?.src} → ${ip?.dst}`);
      // the ICMP answer quotes the packet as it came: a checksum that was wrong there stays wrong in the quote
      const quotedBad = checksumProblems(parsePacket(input)).length > 0;
      const bad = checksumProblems(p).filter((x) => !(quotedBad && x.startsWith("icmp.inner")));
      if (bad.length > 0) return no(`REJECT answer checksums: ${bad.join("; ")}`);
      if (o.tcp) {
        if (!p.tcp?.flags.includes("RST") || p.tcp.sport !== o.fromPort || p.tcp.dport !== o.toPort)
          return no(
            `REJECT must be a TCP RST ${o.fromPort} → ${o.toPort}, got ${JSON.stringify(p.tcp ?? p.icmp)}`,
          );
        return { outcome: o };
      }
      const q = p.icmp;
      if (q?.type !== 3 || q.code !== 3)
        return no(`REJECT must be ICMP port unreachable, got ${JSON.stringify(q)}`);
      const inner = q.inner?.ipv4;
      if (inner?.src !== o.to || inner.dst !== o.from)
        return no(`ICMP REJECT must quote ${o.to} → ${o.from}, quotes ${inner?.src} → ${inner?.dst}`);
      return { outcome: o };
    }
    case "dnat": {
      // a packet dropped after the pick (SCTP port change, no room for the DSR option) shows it only in conntrack
      const to = obs.verdict === "SHOT" ? obs.natChoice() : landing(obs.data, vxlanLayout(input));
      if (
        to === undefined &&
        obs.verdict === "SHOT" &&
        o.knownGap !== undefined &&
        obs.dropCounted(SlReason.SL_R_DROP_NO_LOCAL_BACKEND) === 1
      ) {
        return { knownGap: o.knownGap, outcome: o };
      }
      const chosen =
        to === undefined ? undefined : o.candidates.find((c) => c.addr === to.addr && c.port === to.port);
      if (chosen === undefined) {
        o.resolve(o.candidates[0]!); // keep the model going; this run already failed
        const set = o.candidates.map((c) => `${c.addr}:${c.port}`).join(", ");
        return no(
          `must DNAT to one of {${set}} (${o.why}), got ${obs.verdict} to ${to ? `${to.addr}:${to.port}` : "a non-IPv4 frame"}`,
        );
      }
      return judgeRun(o.resolve(chosen), obs, input);
    }
  }
}
