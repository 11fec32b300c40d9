/**
 * Fuzz: at least 100k random and malformed frames through every program of tc.o (from_wep,
 * to_wep, from_hep, to_hep), one test_run each, checked against the model in fuzz-model.ts:
 * malformed → SHOT, non-IP/IPv6 → OK and untouched, egress programs never rewrite (but for what
 * the node itself sends out of a host interface, held like ingress traffic to the service table),
 * ingress programs only make rewrites the service table allows, with valid checksums, and a host
 * interface drops anything from the service loopback address; a new flow that a
 * pod interface DNATs back to its own sender must also be SNATed to the hairpin address, and only
 * such a flow may be. The seed is fixed (SL_FUZZ_SEED overrides it) and printed with every failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Program } from "../../src/bpf/program.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { checksumProblems } from "../packet/assert-checksums.ts";
import { packet } from "../packet/build-packet.ts";
import type { PacketSpec, TcpOptionSpec } from "../packet/packet-spec.ts";
import { parsePacket } from "../packet/parse-packet.ts";
import { toHex } from "../packet/bytes.ts";
import { verdictName } from "../support/prog-test-run.ts";
import { requireRoot } from "../support/root.ts";
import { loadNode, makeNetns, PROGRAMS, type ProgramName } from "./dp-harness.ts";
import { fillNode1, W } from "./dp-world.ts";
import { dnatAllowed, hairpinRewrite, modelParse, snatAllowed, sourceAdmitted, type ServiceTable } from "./fuzz-model.ts";

const SEED = Number(process.env.SL_FUZZ_SEED ?? 0x5eed1e55);
const PER_PROGRAM = Number(process.env.SL_FUZZ_COUNT ?? 100_000);

const services: ServiceTable = {
  frontends: [
    { addr: W.vip, port: 80, proto: 6, backends: [{ addr: W.podB1, port: 8080 }] },
    { addr: W.vip, port: 53, proto: 17, backends: [{ addr: W.podB1, port: 5353 }] },
    { addr: "0.0.0.0", port: W.nodePort, proto: 6, backends: [{ addr: W.podB2, port: 8080 }] },
    { addr: "0.0.0.0", port: W.nodePort, proto: 17, backends: [{ addr: W.podB2, port: 5353 }] },
    { addr: W.extIp, port: 80, proto: 6, backends: [{ addr: W.podB1, port: 8080 }] },
    { addr: W.lbIp, port: 443, proto: 6, backends: [{ addr: W.podB1, port: 8443 }] },
    { addr: W.vip, port: 90, proto: 6, backends: [0, 1, 2].map((i) => ({ addr: `198.19.1.${30 + i}`, port: 9000 })) },
    { addr: W.vip, port: 3868, proto: 132, backends: [{ addr: W.podB1, port: 3868 }] },
    { addr: W.lbIpRanged, port: 443, proto: 6, backends: [{ addr: W.podB1, port: 8443 }], sourceRanges: [W.clientRange] },
    { addr: W.vip, port: 443, proto: 6, backends: [{ addr: W.podB1, port: 8443 }] },
    { addr: "0.0.0.0", port: W.nodePortRanged, proto: 6, backends: [{ addr: W.podB1, port: 8443 }] },
    // hairpin: pod A (the only sender from_wep accepts) is the backend
    { addr: W.vip, port: W.hairpinPort, proto: 6, backends: [{ addr: W.podA, port: 8080 }] },
    { addr: W.vip, port: W.hairpinUdpPort, proto: 17, backends: [{ addr: W.podA, port: 5353 }] },
    { addr: "0.0.0.0", port: W.nodePortHairpin, proto: 6, backends: [{ addr: W.podA, port: 8080 }] },
  ],
  hairpinIp: W.loopback,
};
const hostIps: readonly string[] = [W.node1];

/** How often the run met each side of the hairpin rule (replies are rarer: they need an earlier flow's port). */
const hairpinSeen = { snat: 0, undone: 0 };
/** How often to_hep DNATed what the node itself sent to a Service (the host-to-Service rule). */
const hostSeen = { dnat: 0 };

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * testRunAccepts: BPF_PROG_TEST_RUN itself refuses (EINVAL) an IPv4 frame shorter than
 * Ethernet + 20 and an IPv6 frame shorter than Ethernet + 40, so such frames cannot be fed;
 * the programs' own bounds checks still cover them on real traffic.
 */
function testRunAccepts(b: Uint8Array): boolean {
  const type = (b[12]! << 8) | b[13]!;
  return !((type === 0x0800 && b.length < 34) || (type === 0x86dd && b.length < 54));
}

function generator(r: () => number): () => Uint8Array {
  const raw = rawGenerator(r);
  return () => {
    for (;;) {
      const b = raw();
      if (testRunAccepts(b)) return b;
    }
  };
}

function rawGenerator(r: () => number): () => Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const randIp = (): string => `198.${18 + int(2)}.${int(256)}.${int(256)}`;
  const addrs = [W.podA, W.podA, W.podB1, W.podB2, W.client, W.vip, W.vip, W.node1, W.extIp, W.lbIp, W.lbIpRanged, "198.18.100.77", "198.19.1.30", W.loopback];
  const ports = [80, 53, 81, 82, 90, 443, W.nodePort, 30090, 3868, 3869, 8080, 5353, 4789, W.nodePortRanged, 8443, W.hairpinPort, W.hairpinUdpPort, W.nodePortHairpin];
  const flagSets: PacketSpec["tcp"] extends infer T ? (T extends { flags?: infer F } ? F[] : never) : never = [["SYN"], ["SYN"], ["ACK"], ["SYN", "ACK"], ["FIN", "ACK"], ["RST"], ["PSH", "ACK"], []];
  return () => {
    if (r() < 0.1) {
      const b = new Uint8Array(14 + int(120));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      if (r() < 0.7) b.set([8, 0], 12);
      return b;
    }
    const src = r() < 0.8 ? pick(addrs) : randIp();
    const dst = r() < 0.8 ? pick(addrs) : randIp();
    const sport = r() < 0.3 ? pick(ports) : 1024 + int(60000);
    const dport = r() < 0.8 ? pick(ports) : int(65536);
    const ipv4: NonNullable<PacketSpec["ipv4"]> = { src, dst, id: int(65536), ttl: 1 + int(255) };
    if (r() < 0.1) Object.assign(ipv4, r() < 0.5 ? { flags: ["MF"] } : { fragOffset: 1 + int(100) });
    if (r() < 0.1) Object.assign(ipv4, { flags: ["DF"] });
    if (r() < 0.1) Object.assign(ipv4, { options: Uint8Array.from({ length: 4 * (1 + int(3)) }, () => 1) });
    const payload = Uint8Array.from({ length: int(64) }, () => int(256));
    const kind = int(8);
    let spec: PacketSpec;
    if (kind <= 2) spec = { ipv4, tcp: { sport, dport, flags: pick(flagSets), seq: int(2 ** 32), options: r() < 0.2 ? ([{ kind: "mss", value: 1460 }] as TcpOptionSpec[]) : [] }, payload };
    else if (kind <= 4) spec = { ipv4, udp: { sport, dport, ...(r() < 0.2 ? { checksum: 0 } : {}) }, payload };
    else if (kind === 5) spec = r() < 0.5 ? { ipv4, icmp: { type: pick(["echo-request", "echo-reply"] as const), id: int(65536), seq: 1 }, payload }
      : { ipv4, icmp: { type: "dest-unreachable", code: 3, inner: { ipv4: { src: dst, dst: src }, udp: { sport: dport, dport: sport }, payload: "x" } } };
    else if (kind === 6) spec = { ipv4, sctp: { sport, dport } };
    else spec = r() < 0.5 ? { ipv6: { src: "2001:db8::1", dst: "2001:db8::2" }, udp: { sport, dport }, payload } : { ipv4, payload };
    const b = packet(spec);
    const m = r();
    if (m < 0.5) return b;
    if (m < 0.65) {
      const at = 14 + int(b.length - 14);
      b[at] = b[at]! ^ (1 << int(8)); // bit flip past Ethernet
    }
    else if (m < 0.8) return b.slice(0, 14 + int(b.length - 14));
    else if (m < 0.85) b[14] = (b[14]! & 0xf0) | int(16); // IHL
    else if (m < 0.9) b.set([int(256), int(256)], 16); // total length
    else if (m < 0.95) b.set([int(256), int(256)], 24); // IP checksum
    else b[14 + 20 + int(20)] = int(256); // somewhere in L4
    return b;
  };
}

/** tupleKey is a flow's direction-free identity, like conntrack's normalised key. */
function tupleKey(proto: number, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}:${ap}`;
  const y = `${b}:${bp}`;
  return `${proto} ${x < y ? x : y} ${x < y ? y : x}`;
}

/**
 * check returns a failure message, or undefined when the run matches the model. `seen` is the
 * model's conntrack: tuples some earlier packet may have left state for; only a fresh tuple is
 * held to the new-flow rules (a reply to a flow the other side opened is legitimately not NATed).
 */
function check(prog: ProgramName, input: Uint8Array, verdict: string, out: Uint8Array, seen: Set<string>): string | undefined {
  const m = modelParse(input);
  if (m.kind === "ipv4" && !m.later) {
    const key = tupleKey(m.proto, m.src, m.sport, m.dst, m.dport);
    const fresh = !seen.has(key);
    // a dropped packet leaves no state behind
    if (verdict !== "SHOT") seen.add(key);
    const o = verdict === "SHOT" ? undefined : parsePacket(out);
    const inner = o?.vxlan?.inner ?? o;
    if (inner?.ipv4) seen.add(tupleKey(m.proto, inner.ipv4.src, inner.tcp?.sport ?? inner.udp?.sport ?? inner.sctp?.sport ?? m.sport, inner.ipv4.dst, inner.tcp?.dport ?? inner.udp?.dport ?? inner.sctp?.dport ?? m.dport));
    if (!fresh) return checkRewrite(prog, m, verdict, out, input, false);
  }
  return checkRewrite(prog, m, verdict, out, input, true);
}

function checkRewrite(prog: ProgramName, m: ReturnType<typeof modelParse>, verdict: string, out: Uint8Array, input: Uint8Array, fresh: boolean): string | undefined {
  const same = out.length === input.length && out.every((x, i) => x === input[i]);
  if (m.kind === "malformed") return verdict === "SHOT" ? undefined : `malformed (${m.why}) but ${verdict}`;
  if (m.kind === "pass") return verdict === "OK" && same ? undefined : `non-IPv4 must pass untouched, got ${verdict}${same ? "" : " modified"}`;
  // egress rewrites nothing, but for what the node itself sends (a host address as source) out of
  // a host interface: that is held to the same Service rules as ingress traffic
  const hostSent = prog === "to_hep" && hostIps.includes(m.src);
  if (prog === "to_wep" || (prog === "to_hep" && !hostSent)) return verdict === "OK" && same ? undefined : `egress must pass untouched, got ${verdict}${same ? "" : " modified"}`;
  if (prog === "from_wep" && m.src !== W.podA) return verdict === "SHOT" ? undefined : `spoofed source ${m.src} but ${verdict}`;
  if (prog === "from_hep" && m.src === W.loopback) return verdict === "SHOT" ? undefined : `the service loopback address ${m.src} arrived from outside but ${verdict}`;
  const isSyn = m.proto === 6 && (m.tcpFlags & 0x12) === 0x02;
  const newFlow = !m.later && (m.proto !== 6 || isSyn);
  // the datapath applies externalTrafficPolicy per frontend to traffic from outside
  // drop rules for new flows; a tuple with possible earlier state may instead match that state
  // (kube-proxy short-circuit: a pod of this node or the node itself gets every ready backend)
  const etpDrop = prog === "from_hep" && m.proto === 6 && isSyn && !m.later && m.dst === W.node1 && m.dport === 30090;
  const sctpDrop = m.proto === 132 && newFlow && m.dst === W.vip && m.dport === 3869;
  const rangeDrop = newFlow && !sourceAdmitted(services, m.proto, m.src, m.dst, m.dport);
  if ((etpDrop || sctpDrop || rangeDrop) && verdict === "SHOT") return undefined;
  if ((etpDrop || sctpDrop || rangeDrop) && fresh) {
    return `${etpDrop ? "ETP Local without local backend" : sctpDrop ? "SCTP port NAT" : "source outside loadBalancerSourceRanges"} must drop, got ${verdict}`;
  }
  const unmodelled = m.firstOpt === 0x9e || (m.proto === 17 && m.dport === 4789 && m.dst === W.node1);
  if (unmodelled) return undefined;
  if (verdict !== "OK" && verdict !== "REDIRECT") return `valid packet got ${verdict}`;
  const p = parsePacket(out);
  const outProblems = same ? [] : checksumProblems(p);
  if (outProblems.length > 0 && checksumProblems(parsePacket(input)).length === 0) return `checksums broken: ${outProblems.join("; ")}`;
  let o = p;
  // the harness parses any UDP to 4789 as VXLAN: only a packet that was not already one is ours
  if (p.vxlan && !(m.proto === 17 && !m.later && m.dport === 4789)) {
    if (prog !== "from_hep" || p.ipv4?.src !== W.node1 || p.ipv4?.dst !== W.node2 || p.vxlan.vni !== 4096) return "unexpected VXLAN output";
    o = p.vxlan.inner;
  }
  if (!o.ipv4) return "output lost its IPv4 header";
  // REJECT / frag-needed answers go back to the sender
  const answer = verdict === "REDIRECT" && o.ipv4.dst === m.src && (o.ipv4.src === m.dst || o.ipv4.src === W.node1);
  if (answer && o.icmp?.type === 3 && m.proto !== 1) return undefined;
  if (answer && m.proto === 6 && !(m.tcpFlags & 0x04) && o.tcp?.flags.includes("RST") && o.tcp.dport === m.sport && o.tcp.sport === m.dport) return undefined;
  const l4 = !m.later && (m.proto === 6 || m.proto === 17 || m.proto === 132);
  const od = o.tcp?.dport ?? o.udp?.dport ?? o.sctp?.dport ?? m.dport;
  const os = o.tcp?.sport ?? o.udp?.sport ?? o.sctp?.sport ?? m.sport;
  // an ICMP error's outer addresses follow the flow it quotes (any protocol, no ports)
  const icmpErr = m.proto === 1 && !o.icmp?.id && o.icmp?.type !== 0 && o.icmp?.type !== 8;
  const anyProto = (f: (p: number) => boolean): boolean => [6, 17, 132].some(f);
  if (icmpErr && o.ipv4.dst !== m.dst && anyProto((p) => dnatAllowed(services, p, m.dst, 0, o.ipv4!.dst, 0, hostIps, false))) return undefined;
  if (icmpErr && o.ipv4.src !== m.src && anyProto((p) => snatAllowed(services, p, m.src, 0, o.ipv4!.src, 0, hostIps, false))) return undefined;
  const hp = hairpinRewrite(services, { src: m.src, dst: m.dst, sport: m.sport, dport: m.dport }, { src: o.ipv4.src, dst: o.ipv4.dst, sport: os, dport: od }, l4);
  if (hp.snat) hairpinSeen.snat++;
  if (hp.undone) hairpinSeen.undone++;
  if (hp.missing && prog === "from_wep" && fresh) return `hairpin ${m.src}:${m.sport} → ${m.dst}:${m.dport} → ${o.ipv4.dst}:${od} not SNATed (from ${o.ipv4.src})`;
  if (o.ipv4.dst !== m.dst && !hp.undone && !dnatAllowed(services, m.proto, m.dst, m.dport, o.ipv4.dst, od, hostIps, l4)) return `wrong DNAT ${m.dst}:${m.dport} → ${o.ipv4.dst}:${od}`;
  if (prog === "to_hep" && o.ipv4.dst !== m.dst) hostSeen.dnat++;
  if (o.ipv4.dst === m.dst && l4 && od !== m.dport) return `port changed without address ${m.dport} → ${od}`;
  if (o.ipv4.src !== m.src && !hp.snat && !snatAllowed(services, m.proto, m.src, m.sport, o.ipv4.src, os, hostIps, l4)) return `wrong reverse NAT ${m.src}:${m.sport} → ${o.ipv4.src}:${os}`;
  return undefined;
}

test(`fuzz: ${PER_PROGRAM} random and malformed frames through each program match the model (seed ${SEED})`, requireRoot, async () => {
  const node = await loadNode(W.node1);
  const ns = makeNetns();
  const started = Date.now();
  try {
    fillNode1(node);
    const wep = await node.iface({ ifindex: W.ifA, role: "wep" });
    const hep = await node.iface({ ifindex: 1, role: "hep" });
    const progs: Record<ProgramName, Program> = { from_wep: wep.from_wep, to_wep: wep.to_wep, from_hep: hep.from_hep, to_hep: hep.to_hep };
    const failures: string[] = [];
    const seen = new Set<string>();
    const counts = { SHOT: 0, OK: 0, REDIRECT: 0 } as Record<string, number>;
    for (const name of PROGRAMS) {
      // one stream per program (seeding by name length gave to_wep and to_hep the same frames, so
      // to_hep only ever met tuples to_wep had already tracked)
      const gen = generator(rng(SEED ^ (PROGRAMS.indexOf(name) + 1) * 0x9e3779b1));
      const batch = 5000;
      for (let done = 0; done < PER_PROGRAM && failures.length < 5; done += batch) {
        withNetns(ns.name, () => {
          for (let i = 0; i < batch && done + i < PER_PROGRAM; i++) {
            const input = gen();
            let r;
            try {
              r = progs[name].testRun({ data: input, dataSizeOut: input.length + 256 });
            } catch (e) {
              throw new Error(`test_run ${name} #${done + i} (seed ${SEED}) input ${toHex(input)}`, { cause: e });
            }
            const verdict = verdictName("tc", r.retval);
            counts[verdict] = (counts[verdict] ?? 0) + 1;
            const why = check(name, input, verdict, r.data, seen);
            if (why !== undefined && failures.length < 5) failures.push(`${name} #${done + i} (seed ${SEED}): ${why}\n  input  ${toHex(input)}\n  output ${toHex(r.data)}`);
          }
        });
      }
    }
    console.log(`fuzz: seed ${SEED}, ${PER_PROGRAM} frames × ${PROGRAMS.length} programs in ${Date.now() - started} ms, verdicts ${JSON.stringify(counts)}, hairpin ${JSON.stringify(hairpinSeen)}, host ${JSON.stringify(hostSeen)}`);
    assert.deepEqual(failures, [], `fuzz found mismatches (rerun with SL_FUZZ_SEED=${SEED})`);
    if (PER_PROGRAM >= 100_000) assert.ok(hairpinSeen.snat > 0, `the run never met a hairpin SNAT: ${JSON.stringify(hairpinSeen)}`);
    if (PER_PROGRAM >= 100_000) assert.ok(hostSeen.dnat > 0, `the run never met a host-to-Service DNAT: ${JSON.stringify(hostSeen)}`);
  } finally {
    node.close();
    ns.remove();
  }
});
