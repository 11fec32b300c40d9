/**
 * The fuzz frame generator: for one program side, a frame drawn from what that interface meets —
 * new flows to the installed frontends (TCP flag mixes, UDP, SCTP), replies and later packets of
 * flows the model saw NATed (plain, or VXLAN from the backend's node), traffic to pods, nodes and
 * strangers, spoofed sources, ICMP echo and errors, fragments, IP options, IPv6, ARP, VXLAN from
 * nodes and non-nodes — and then, for some, a malformation (truncation, bad IHL, bad total
 * length, bad header checksum, a bit flip, a random frame). It reads the model's flow list to
 * make replies; what must happen is the model's business alone.
 *
 * ICMP errors come both ways: random ones quote ports ≥ 61000 (no tracked flow), others are made
 * about tracked NATed flows on purpose (from the backend about the DNATed packet, from the client
 * about the reply). Random later fragments use IP ids ≥ 0x8000 (never a first fragment's); later
 * fragments of NATed datagrams are made on purpose.
 */
import { packet } from "../packet/build-packet.ts";
import type { PacketSpec, TcpSpec } from "../packet/packet-spec.ts";
import type { FlowRecord, FuzzModel, ProgramSide } from "./fuzz-model.ts";
import { HAIRPIN_IP } from "./fuzz-model.ts";
import type { Rng } from "./fuzz-rng.ts";
import { SERVICE_PORTS, TARGET_PORTS } from "./fuzz-services.ts";
import { FW } from "./fuzz-world.ts";

type Flags = NonNullable<TcpSpec["flags"]>;
const FLAG_MIXES: Flags[] = [
  ["SYN"],
  ["SYN"],
  ["SYN"],
  ["SYN", "ACK"],
  ["ACK"],
  ["PSH", "ACK"],
  ["FIN", "ACK"],
  ["RST"],
  ["RST", "ACK"],
  ["SYN", "FIN"],
  [],
  ["FIN"],
  ["URG", "ACK"],
  ["SYN", "RST"],
];
const FLOW_FLAGS: Flags[] = [["ACK"], ["PSH", "ACK"], ["PSH", "ACK"], ["FIN", "ACK"], ["RST"], ["SYN"]];
const REPLY_FLAGS: Flags[] = [["SYN", "ACK"], ["ACK"], ["PSH", "ACK"], ["FIN", "ACK"], ["RST"]];

/** FrameGen makes frames for one side. */
export type FrameGen = (side: ProgramSide) => Uint8Array;

/** makeFrameGen returns a generator over the model's table and flows. */
export function makeFrameGen(r: Rng, model: FuzzModel): FrameGen {
  const fes = model.table.frontends;
  const sport = (): number => 1024 + r.int(60000 - 1024);
  const payload = (): Uint8Array => {
    const p = new Uint8Array(r.int(48));
    for (let i = 0; i < p.length; i++) p[i] = r.int(256);
    return p;
  };
  const addrs = [
    ...FW.localPods.map((p) => p.ip),
    ...FW.remotePods.map((p) => p.ip),
    ...FW.externalClients,
    ...FW.strangers,
    FW.node1,
    FW.node2,
    HAIRPIN_IP,
    ...fes.map((f) => f.addr),
  ];
  const anyAddr = (): string => r.pick(addrs);
  const ports = [...SERVICE_PORTS, ...TARGET_PORTS, 30001, 30002, 30003];
  const anyPort = (): number => (r.chance(0.5) ? r.pick(ports) : r.int(65536));

  function ipv4(src: string, dst: string): NonNullable<PacketSpec["ipv4"]> {
    const h: NonNullable<PacketSpec["ipv4"]> = { src, dst, id: r.int(0x8000), ttl: r.chance(0.05) ? 1 : 64 };
    if (r.chance(0.08))
      Object.assign(h, {
        options: Uint8Array.from({ length: r.chance(0.15) ? 40 : 4 * (1 + r.int(3)) }, () => 1),
      });
    if (r.chance(0.1)) Object.assign(h, { flags: ["DF"] });
    return h;
  }

  function l4(proto: number, src: string, sp: number, dst: string, dp: number, flags: Flags): PacketSpec {
    const ip = ipv4(src, dst);
    if (r.chance(0.04)) Object.assign(ip, { flags: ["MF"] }); // a first fragment
    if (proto === 6)
      return {
        ipv4: ip,
        tcp: {
          sport: sp,
          dport: dp,
          flags,
          seq: r.int(2 ** 32),
          ack: flags.includes("ACK") ? r.int(2 ** 32) : 0,
        },
        payload: payload(),
      };
    if (proto === 17)
      return {
        ipv4: ip,
        udp: { sport: sp, dport: dp, ...(r.chance(0.15) ? { checksum: 0 } : {}) },
        payload: payload(),
      };
    return { ipv4: ip, sctp: { sport: sp, dport: dp } };
  }

  function newFlow(src: string): PacketSpec {
    const fe = r.pick(fes);
    return l4(fe.proto, src, sport(), fe.addr, fe.port, r.chance(0.8) ? ["SYN"] : r.pick(FLAG_MIXES));
  }

  function flowFrom(pred: (f: FlowRecord) => boolean): FlowRecord | undefined {
    const xs = model.flows.filter(pred);
    return xs.length === 0 ? undefined : r.pick(xs);
  }

  /** reply makes the backend's answer to flow f (as the backend sends it). */
  function reply(f: FlowRecord): PacketSpec {
    return l4(
      f.proto,
      f.backend.addr,
      f.backend.port,
      f.hairpin ? HAIRPIN_IP : f.client,
      f.cport,
      r.pick(REPLY_FLAGS),
    );
  }

  /** further makes the client's next packet of flow f. */
  function further(f: FlowRecord): PacketSpec {
    return l4(f.proto, f.client, f.cport, f.frontend, f.fport, r.pick(FLOW_FLAGS));
  }

  function misc(src: string): PacketSpec {
    const dst = anyAddr();
    const k = r.int(10);
    if (k < 4) return l4(r.pick([6, 6, 17, 132]), src, sport(), dst, anyPort(), r.pick(FLAG_MIXES));
    if (k < 6)
      return {
        ipv4: ipv4(src, dst),
        icmp: { type: r.pick(["echo-request", "echo-reply"] as const), id: r.int(65536), seq: 1 },
        payload: payload(),
      };
    if (k < 8) {
      const quoted: PacketSpec = r.chance(0.5)
        ? {
            ipv4: { src: dst, dst: src },
            udp: { sport: 61000 + r.int(4000), dport: 61000 + r.int(4000) },
            payload: "x",
          }
        : {
            ipv4: { src: dst, dst: src },
            tcp: { sport: 61000 + r.int(4000), dport: 61000 + r.int(4000), flags: ["SYN"] },
          };
      return {
        ipv4: ipv4(src, dst),
        icmp: { type: r.pick(["dest-unreachable", "time-exceeded"] as const), code: r.int(5), inner: quoted },
      };
    }
    if (k < 9)
      return {
        ipv4: {
          ...ipv4(src, dst),
          id: 0x8000 + r.int(0x8000),
          fragOffset: 1 + r.int(100),
          ...(r.chance(0.5) ? { flags: ["MF" as const] } : {}),
        },
        payload: payload(),
        ...{},
      };
    return { ipv4: { ...ipv4(src, dst), protocol: 253 }, payload: payload() };
  }

  function vxlan(from: string, inner: PacketSpec): PacketSpec {
    return {
      ipv4: { src: from, dst: FW.node1, ttl: 64 },
      udp: { sport: 49152 + r.int(16000), dport: 4789, checksum: 0 },
      vxlan: { vni: 4096, inner },
    };
  }

  /** laterFragment continues a datagram whose first fragment the model saw NATed, from the same sender. */
  function laterFragment(pred: (src: string) => boolean): PacketSpec | undefined {
    const xs = [...model.natFrags.values()].filter((f) => pred(f.src));
    if (xs.length === 0) return undefined;
    const f = r.pick(xs);
    return {
      ipv4: {
        src: f.src,
        dst: f.dst0,
        id: f.id,
        ttl: 64,
        protocol: f.proto,
        fragOffset: 1 + r.int(8),
        ...(r.chance(0.5) ? { flags: ["MF" as const] } : {}),
      },
      payload: payload(),
    };
  }

  /** errorAbout makes an ICMP error about flow f: from its backend about the DNATed packet, or from its client about the reply. */
  function errorAbout(f: FlowRecord, fromBackend: boolean): PacketSpec {
    const client = f.hairpin ? HAIRPIN_IP : f.client;
    const [qs, qsp, qd, qdp] = fromBackend
      ? [client, f.cport, f.backend.addr, f.backend.port]
      : [f.frontend, f.fport, f.client, f.cport];
    const l4q: PacketSpec =
      f.proto === 6
        ? { tcp: { sport: qsp, dport: qdp, flags: ["SYN"] } }
        : f.proto === 17
          ? { udp: { sport: qsp, dport: qdp, ...(r.chance(0.2) ? { checksum: 0 } : {}) } }
          : { sctp: { sport: qsp, dport: qdp } };
    const quoted = {
      ipv4: { src: qs, dst: qd, ttl: 63 },
      ...l4q,
      payload: payload(),
      ...(r.chance(0.5) ? { truncate: 28 } : {}),
    };
    const [os, od] = fromBackend
      ? [r.chance(0.8) ? f.backend.addr : FW.strangers[0], qs]
      : [f.client, r.chance(0.8) ? f.frontend : FW.strangers[1]];
    return {
      ipv4: ipv4(os, od),
      icmp: { type: r.pick(["dest-unreachable", "time-exceeded"] as const), code: r.int(4), inner: quoted },
    };
  }

  function forSide(side: ProgramSide): PacketSpec {
    const roll = r.int(100);
    if (roll >= 4 && roll < 8) {
      const me = side.prog === "to_hep" ? FW.node1 : side.pod?.ip;
      const remote = (a: string): boolean => !FW.localPods.some((p) => p.ip === a) && a !== FW.node1;
      const fromHep = side.prog === "from_hep";
      // only about packets that went out: an SCTP flow whose Service changes the port never passes
      const sent = (x: FlowRecord): boolean => x.proto !== 132 || x.backend.port === x.fport;
      const f = flowFrom(
        (x) =>
          sent(x) &&
          (fromHep ? remote(x.backend.addr) || remote(x.client) : x.backend.addr === me || x.client === me),
      );
      if (f && side.prog !== "to_wep") {
        const fromBackend = fromHep
          ? remote(f.backend.addr) && (!remote(f.client) || r.chance(0.5))
          : f.backend.addr === me && (f.client !== me || r.chance(0.5));
        if (side.prog !== "to_hep" || !fromBackend) return errorAbout(f, fromBackend);
      }
    }
    if (roll < 4) {
      const me = side.pod?.ip;
      const lf = laterFragment((src) =>
        side.prog === "from_wep"
          ? src === me
          : side.prog === "from_hep"
            ? !FW.localPods.some((p) => p.ip === src) && src !== FW.node1
            : side.prog === "to_hep"
              ? src === FW.node1
              : false,
      );
      if (lf) return lf;
    }
    switch (side.prog) {
      case "from_wep": {
        const me = side.pod!.ip;
        if (roll < 35) return newFlow(me);
        if (roll < 55) {
          const f = flowFrom((x) => x.backend.addr === me);
          if (f) return reply(f);
        }
        if (roll < 70) {
          const f = flowFrom((x) => x.client === me);
          if (f) return further(f);
        }
        if (roll < 75) return newFlow(anyAddr());
        return misc(me);
      }
      case "from_hep": {
        const client = r.pick([...FW.externalClients, ...FW.remotePods.map((p) => p.ip)]);
        if (roll < 30) return newFlow(client);
        if (roll < 50) {
          const f = flowFrom((x) => !x.backend.local);
          if (f && f.forwardTo && !f.forwardTo.dsr) return vxlan(f.forwardTo.node, reply(f));
          if (f && !f.forwardTo) return reply(f);
        }
        if (roll < 62) {
          const f = flowFrom((x) => !FW.localPods.some((p) => p.ip === x.client) && !x.host);
          if (f) return further(f);
        }
        if (roll < 70) {
          const pod = r.pick(FW.localPods).ip;
          const inner = l4(
            r.pick([6, 17]),
            r.pick(FW.externalClients),
            sport(),
            pod,
            r.pick(TARGET_PORTS),
            r.pick(FLAG_MIXES),
          );
          return vxlan(r.chance(0.85) ? r.pick([FW.node2, FW.node3]) : r.pick(FW.externalClients), inner);
        }
        if (roll < 73) return newFlow(r.pick([HAIRPIN_IP, FW.node1]));
        return misc(client);
      }
      case "to_wep": {
        const me = side.pod!.ip;
        if (roll < 30) {
          const f = flowFrom((x) => x.backend.addr === me);
          if (f)
            return l4(
              f.proto,
              f.hairpin ? HAIRPIN_IP : f.client,
              f.cport,
              me,
              f.backend.port,
              r.pick(FLOW_FLAGS),
            );
        }
        if (roll < 50) {
          const f = flowFrom((x) => x.client === me);
          if (f) return l4(f.proto, f.frontend, f.fport, me, f.cport, r.pick(REPLY_FLAGS));
        }
        if (roll < 70) return l4(r.pick([6, 17]), anyAddr(), sport(), me, anyPort(), r.pick(FLAG_MIXES));
        return misc(anyAddr());
      }
      case "to_hep": {
        if (roll < 40) return newFlow(FW.node1);
        if (roll < 60) {
          const f = flowFrom((x) => x.host);
          if (f) return further(f);
        }
        if (roll < 75) return misc(FW.node1);
        return r.chance(0.5) ? newFlow(anyAddr()) : misc(anyAddr());
      }
    }
  }

  return (side) => {
    if (r.chance(0.03)) {
      const raw = Uint8Array.from({ length: 14 + r.int(100) }, () => r.int(256));
      if (r.chance(0.5)) raw.set([8, 0], 12);
      return raw;
    }
    if (r.chance(0.03))
      return r.chance(0.5)
        ? packet({ eth: { type: 0x0806 }, payload: payload() })
        : packet({
            ipv6: { src: "2001:db8::1", dst: "2001:db8::2" },
            udp: { sport: sport(), dport: 53 },
            payload: payload(),
          });
    const b = packet(forSide(side));
    const m = r.next();
    if (m < 0.88) return b;
    if (m < 0.9) return b.slice(0, 14 + r.int(b.length - 14)); // truncated
    if (m < 0.92) {
      b[14] = (b[14]! & 0xf0) | r.int(16); // IHL
      return b;
    }
    if (m < 0.94) {
      b.set([r.int(256), r.int(256)], 16); // total length
      return b;
    }
    if (m < 0.96) {
      b.set([r.int(256), r.int(256)], 24); // header checksum
      return b;
    }
    const at = 14 + r.int(b.length - 14); // a bit flip anywhere past Ethernet
    b[at] = b[at]! ^ (1 << r.int(8));
    return b;
  };
}
