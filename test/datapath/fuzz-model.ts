/**
 * FuzzModel: the fuzz suite's independent statement of what node 1's tc programs must do, built
 * from the Service table the test installs (fuzz-services.ts, Kubernetes semantics) and the
 * documented behaviour (README, ARCHITECTURE.md, DESIGN §4, abi.h): parse (fuzz-parse.ts) →
 * anti-spoofing → our VXLAN in → conntrack (fuzz-conntrack.ts) → a new flow to a Service
 * frontend is dropped (loadBalancerSourceRanges, traffic policy Local without a local endpoint,
 * an SCTP port change), REJECTed (no ready endpoint), or DNATed to one of its ready endpoints
 * (affinity: the remembered one; a pod that draws itself is SNATed to the service loopback
 * address) → NodePort/external/LB from outside to another node's pod leaves in VXLAN or with the
 * DSR option → forwarding (a local pod by redirect, TTL-1 and its MACs; else the stack).
 * Host egress DNATs what the node itself sends to a Service; pod egress only tracks.
 */
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { ipv4FromNumber } from "../../src/datapath/maps/index.ts";
import { SL_HAIRPIN_IP_DEFAULT } from "../../src/datapath/abi/abi.ts";
import { setAddr, setPort } from "./fuzz-bytes.ts";
import { rewriteIcmpError } from "./fuzz-icmp-error.ts";
import { ModelConntrack, ctKey, isFreshSyn, legBits, type CtEntry } from "./fuzz-conntrack.ts";
import { forwardHost, forwardPlain, frameOut, toNode } from "./fuzz-forward.ts";
import type { Outcome } from "./fuzz-outcome.ts";
import { u16, viewFrame, type Ipv4View } from "./fuzz-parse.ts";
import type { Backend, ModelFrontend, ServiceTable } from "./fuzz-services.ts";
import { FW, type LocalPod } from "./fuzz-world.ts";

/** HAIRPIN_IP is the service loopback address (the documented default of cfg_hairpin_ip). */
export const HAIRPIN_IP = ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT);

/**
 * ETP_SHORT_CIRCUIT_LANDED: issue 8 asks that a pod or the node reaching an ETP-Local NodePort /
 * LB / external IP be balanced over all ready endpoints (kube-proxy). The model says so; until
 * that datapath change is merged, the old behaviour (dropped when node 1 has no local endpoint)
 * is counted as a known gap, never as a pass. Flip to true when it lands.
 */
export const ETP_SHORT_CIRCUIT_LANDED = true;

/** FlowRecord is a NATed flow the generator can answer or continue. */
export interface FlowRecord {
  readonly proto: number;
  readonly client: string;
  readonly cport: number;
  readonly frontend: string;
  readonly fport: number;
  readonly backend: Backend;
  readonly hairpin: boolean;
  readonly host: boolean;
  readonly forwardTo?: { node: string; dsr: boolean };
}

/** ProgramSide is where a frame is run: a program and, for pod interfaces, the pod. */
export interface ProgramSide {
  readonly prog: "from_wep" | "to_wep" | "from_hep" | "to_hep";
  readonly pod?: LocalPod;
}

const drop = (reason: number, why: string): Outcome => ({ kind: "drop", reason, why });

function inCidr(addr: string, cidr: string): boolean {
  const n = (a: string): number => a.split(".").reduce((x, p) => x * 256 + Number(p), 0);
  const [net = "", len = "32"] = cidr.split("/");
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) >>> 0;
  return (n(addr) & mask) >>> 0 === (n(net) & mask) >>> 0;
}

/** nodeOfPod is the node address a remote pod lives behind. */
function nodeOfPod(addr: string): string | undefined {
  if (addr.startsWith("198.19.2.")) return FW.node2;
  if (addr.startsWith("198.19.3.")) return FW.node3;
  return undefined;
}

const isNode1 = (addr: string): boolean => addr === FW.node1;

/** FuzzModel holds the table, the model conntrack and affinity; one instance per run. */
export class FuzzModel {
  readonly ct = new ModelConntrack();
  readonly affinity = new Map<string, Backend>();
  readonly flows: FlowRecord[] = [];
  /** Datagrams whose first fragment was NATed or sent to another node: their later fragments follow it (abi.h sl_frags). */
  readonly natFrags = new Map<string, FragRecord>();
  readonly #byFrontend = new Map<string, ModelFrontend>();
  dsr = false;

  constructor(readonly table: ServiceTable) {
    for (const f of table.frontends) this.#byFrontend.set(`${f.addr}:${f.port}/${f.proto}`, f);
  }

  /** forget empties conntrack, affinity and the flow list (the suite clears the maps at the same time). */
  forget(): void {
    this.ct.clear();
    this.affinity.clear();
    this.flows.length = 0;
    this.natFrags.clear();
  }

  frontend(addr: string, port: number, proto: number): ModelFrontend | undefined {
    return this.#byFrontend.get(`${addr}:${port}/${proto}`);
  }

  /** expect says what `side` must do with frame `b`. */
  expect(side: ProgramSide, b: Uint8Array): Outcome {
    const v = viewFrame(b);
    if (v.kind === "malformed") return drop(SlReason.SL_R_DROP_MALFORMED, `malformed: ${v.why}`);
    if (v.kind !== "ipv4") return frameOut("OK", b, undefined, `${v.kind} passes untouched`);
    return side.prog === "from_wep" || side.prog === "from_hep"
      ? this.#ingress(side, b, v)
      : this.#egress(side, b, v);
  }

  #ingress(side: ProgramSide, b0: Uint8Array, v0: Ipv4View): Outcome {
    let b = b0;
    let v = v0;
    let tunnelFrom: string | undefined;
    if (side.prog === "from_hep") {
      if (v.src === HAIRPIN_IP)
        return drop(SlReason.SL_R_DROP_SPOOFED, "service loopback address from outside");
      if (
        v.proto === 17 &&
        v.frag === "none" &&
        v.dport === 4789 &&
        isNode1(v.dst) &&
        (b[v.l4 + 8]! & 0x08) !== 0 &&
        u16(b, v.l4 + 12) === 0x0010 &&
        b[v.l4 + 14] === 0 &&
        b[v.l4 + 15] === 0
      ) {
        if (v.src !== FW.node2 && v.src !== FW.node3)
          return drop(SlReason.SL_R_DROP_TUNNEL_SOURCE, "VXLAN from a non-node");
        const strip = v.ihl + 8 + 8 + 14;
        // what our tunnel carries is an Ethernet frame holding IPv4, or nothing we accept
        if (v.tot < strip + 20 || u16(b, 14 + strip - 2) !== 0x0800)
          return drop(SlReason.SL_R_DROP_MALFORMED, "VXLAN inner is not Ethernet + IPv4");
        const inner = new Uint8Array(b.length - strip);
        inner.set(b.subarray(0, 14), 0);
        inner.set(b.subarray(14 + strip), 14);
        const iv = viewFrame(inner);
        if (iv.kind !== "ipv4") return drop(SlReason.SL_R_DROP_MALFORMED, "VXLAN inner not IPv4");
        tunnelFrom = v.src;
        b = inner;
        v = iv;
        if (v.src === HAIRPIN_IP)
          return drop(SlReason.SL_R_DROP_SPOOFED, "service loopback address inside VXLAN");
      } else if (v.ihl >= 28 && b[34] === 0x9e && b[35] === 8) {
        return { kind: "unmodelled", why: "DSR option arriving (backend-node DSR reception)" };
      }
    } else if (v.src !== side.pod?.ip) {
      return drop(SlReason.SL_R_DROP_SPOOFED, `pod ${side.pod?.ip} sent as ${v.src}`);
    }
    if (v.frag === "later") {
      const f = this.natFrags.get(fragKey(v));
      if (f === undefined)
        return frameOut("OK", b, v, "later fragment without a fragment entry goes to the stack");
      return this.#laterFragment(b, v, f, true);
    }
    if (v.proto === 1 && (v.icmpType === 3 || v.icmpType === 11 || v.icmpType === 12)) {
      const x = rewriteIcmpError(b, v, this.ct, HAIRPIN_IP);
      if (x === undefined) return forwardPlain(b, v, "ICMP error about no NATed flow is only forwarded");
      return forwardPlain(
        x.bytes,
        { ...v, src: x.src, dst: x.dst },
        "ICMP error about a NATed flow: quote and addresses rewritten",
        x.checksums,
      );
    }
    const hit = this.#lookup(v);
    if (hit !== undefined) return this.#established(b, v, hit, true);
    const fresh = isFreshSyn(v.proto, v.tcpFlags);
    if (tunnelFrom === undefined && v.proto === 6 && !fresh)
      return frameOut("OK", b, v, "TCP mid-flow without conntrack goes to the stack");
    const bits = legBits(v.proto, v.tcpFlags);
    if (tunnelFrom !== undefined) {
      this.ct.put(
        ctKey(v.proto, v.src, v.sport, v.dst, v.dport),
        {
          type: "normal",
          natAddr: "0.0.0.0",
          natPort: 0,
          hairpin: false,
          host: false,
          tunnelBack: tunnelFrom,
        },
        bits,
      );
      return forwardPlain(b, v, "new flow out of our VXLAN: the ingress node decided, forward it");
    }
    const fromOutside = side.prog === "from_hep";
    return this.#service(b, v, fromOutside ? "outside" : "pod", () => {
      this.ct.put(
        ctKey(v.proto, v.src, v.sport, v.dst, v.dport),
        { type: "normal", natAddr: "0.0.0.0", natPort: 0, hairpin: false, host: false },
        bits,
      );
      return forwardPlain(b, v, "no frontend: tracked and forwarded");
    });
  }

  #egress(side: ProgramSide, b: Uint8Array, v: Ipv4View): Outcome {
    const host = side.prog === "to_hep" && isNode1(v.src);
    if (v.frag === "later") {
      const f = host ? this.natFrags.get(fragKey(v)) : undefined;
      if (f !== undefined && f.dst) return this.#laterFragment(b, v, f, false);
      return frameOut("OK", b, v, "egress: later fragment passes");
    }
    if (v.proto === 1 && (v.icmpType === 3 || v.icmpType === 11 || v.icmpType === 12)) {
      const x = host ? rewriteIcmpError(b, v, this.ct, HAIRPIN_IP) : undefined;
      if (x === undefined) return frameOut("OK", b, v, "egress: ICMP error passes");
      return forwardHost(
        x.bytes,
        { ...v, src: x.src, dst: x.dst },
        "host ICMP error about a NATed flow: quote and addresses rewritten",
        x.checksums,
      );
    }
    const hit = this.#lookup(v);
    if (hit !== undefined) {
      if (host && hit.dnat !== undefined) return this.#established(b, v, hit, false);
      return frameOut("OK", b, v, "egress: tracked packet passes");
    }
    if (v.proto === 6 && !isFreshSyn(v.proto, v.tcpFlags))
      return frameOut("OK", b, v, "egress: TCP mid-flow passes");
    const bits = legBits(v.proto, v.tcpFlags);
    if (side.prog === "to_wep") {
      this.ct.put(
        ctKey(v.proto, v.src, v.sport, v.dst, v.dport),
        { type: "normal", natAddr: "0.0.0.0", natPort: 0, hairpin: false, host: false },
        bits,
      );
      return frameOut("OK", b, v, "to a pod: new flow tracked, passes");
    }
    if (!host) return frameOut("OK", b, v, "host egress of forwarded traffic passes");
    return this.#service(b, v, "host", () =>
      frameOut("OK", b, v, "host traffic to no frontend passes untracked"),
    );
  }

  /** #lookup classifies v against conntrack (touching what it hits), undefined on a miss. */
  #lookup(v: Ipv4View): Hit | undefined {
    const fresh = isFreshSyn(v.proto, v.tcpFlags);
    const bits = legBits(v.proto, v.tcpFlags);
    const k = ctKey(v.proto, v.src, v.sport, v.dst, v.dport);
    const e = this.ct.find(k, fresh);
    if (e === undefined) return undefined;
    const forward = k.srcIsA === e.initA;
    if (e.type === "fwd") {
      if (!forward) return { entry: e, forward: false };
      const rk = ctKey(v.proto, e.hairpin ? HAIRPIN_IP : v.src, v.sport, e.natAddr, e.natPort);
      const rv = this.ct.find(rk, fresh);
      if (rv === undefined) {
        this.ct.delete(k);
        return undefined;
      }
      this.ct.touch(rv, rk.srcIsA, bits);
      return { entry: rv, forward: true, dnat: { addr: e.natAddr, port: e.natPort, hairpin: e.hairpin } };
    }
    this.ct.touch(e, k.srcIsA, bits);
    return { entry: e, forward };
  }

  /** #established rewrites and forwards a packet of a known flow. */
  #established(b0: Uint8Array, v: Ipv4View, hit: Hit, ingress: boolean): Outcome {
    const b = b0.slice();
    const l4 = v.frag === "later" ? undefined : v.l4;
    const e = hit.entry;
    if (hit.dnat !== undefined) {
      if (v.proto === 132 && hit.dnat.port !== v.dport)
        return drop(SlReason.SL_R_DROP_SCTP_PORT_NAT, "SCTP flow whose Service changes the port");
      setAddr(b, 14, "dst", hit.dnat.addr, l4);
      if (l4 !== undefined) setPort(b, 14, l4, "dst", hit.dnat.port);
      if (hit.dnat.hairpin) setAddr(b, 14, "src", HAIRPIN_IP, l4);
      const nv = { ...v, dst: hit.dnat.addr };
      this.#saveFrag(v, {
        dst: true,
        addr: hit.dnat.addr,
        hairpin: hit.dnat.hairpin,
        ...(ingress && e.forwardTo !== undefined ? { to: e.forwardTo } : {}),
      });
      if (!ingress) return forwardHost(b, nv, "host flow: DNAT from conntrack");
      if (e.forwardTo !== undefined)
        return toNode(b, nv, e.forwardTo, v.dst, v.dport, "NodePort flow: on to the backend's node");
      return forwardPlain(b, nv, "DNAT from conntrack");
    }
    if (e.type === "rev" && !hit.forward) {
      if (v.proto === 132 && e.natPort !== v.sport)
        return drop(SlReason.SL_R_DROP_SCTP_PORT_NAT, "SCTP reply whose Service changes the port");
      setAddr(b, 14, "src", e.natAddr, l4);
      if (l4 !== undefined) setPort(b, 14, l4, "src", e.natPort);
      if (e.hairpin) setAddr(b, 14, "dst", v.src, l4);
      const nv = { ...v, src: e.natAddr, dst: e.hairpin ? v.src : v.dst };
      this.#saveFrag(v, {
        dst: false,
        addr: e.natAddr,
        hairpin: e.hairpin,
        ...(e.tunnelBack !== undefined ? { to: { node: e.tunnelBack, dsr: false } } : {}),
      });
      if (e.tunnelBack !== undefined)
        return toNode(
          b,
          nv,
          { node: e.tunnelBack, dsr: false },
          "",
          0,
          "reply of a tunnelled flow: back in VXLAN",
        );
      return forwardPlain(b, nv, "reply: reverse NAT");
    }
    if (hit.forward && e.forwardTo !== undefined)
      this.#saveFrag(v, { dst: false, addr: v.src, hairpin: false, to: e.forwardTo });
    if (!hit.forward && e.tunnelBack !== undefined)
      this.#saveFrag(v, { dst: false, addr: v.src, hairpin: false, to: { node: e.tunnelBack, dsr: false } });
    if (hit.forward && e.forwardTo !== undefined)
      return toNode(b, v, e.forwardTo, v.dst, v.dport, "client packet on a NodePort flow's backend tuple");
    if (!hit.forward && e.tunnelBack !== undefined)
      return toNode(
        b,
        v,
        { node: e.tunnelBack, dsr: false },
        "",
        0,
        "reply of a tunnelled flow: back in VXLAN",
      );
    return forwardPlain(b0, v, "tracked flow without NAT");
  }

  /** #service decides a new flow to a possible frontend; `none` handles a destination that is no frontend. */
  #service(b: Uint8Array, v: Ipv4View, from: "pod" | "outside" | "host", none: () => Outcome): Outcome {
    const fe =
      v.proto === 6 || v.proto === 17 || v.proto === 132 ? this.frontend(v.dst, v.dport, v.proto) : undefined;
    if (fe === undefined) return none();
    if (fe.ranges !== undefined && !fe.ranges.some((c) => inCidr(v.src, c)))
      return drop(SlReason.SL_R_DROP_SRC_RANGE, `${v.src} outside loadBalancerSourceRanges of ${fe.svc}`);
    if (fe.ready.length === 0)
      return {
        kind: "reject",
        tcp: v.proto === 6,
        from: v.dst,
        fromPort: v.dport,
        to: v.src,
        toPort: v.sport,
        why: `${fe.svc} has no ready endpoint: REJECT`,
      };
    const shortCircuit = fe.role !== "cluster" && fe.policyLocal && from !== "outside";
    let set = fe.policyLocal && !shortCircuit ? fe.ready.filter((x) => x.local) : fe.ready;
    if (set.length === 0)
      return drop(
        SlReason.SL_R_DROP_NO_LOCAL_BACKEND,
        `${fe.svc}: traffic policy Local and no endpoint on this node`,
      );
    const affKey = `${fe.svc}|${v.src}`;
    const remembered = fe.affinity ? this.affinity.get(affKey) : undefined;
    if (remembered !== undefined) set = [remembered];
    const knownGap =
      shortCircuit && !ETP_SHORT_CIRCUIT_LANDED && !fe.ready.some((x) => x.local)
        ? ("etp-short-circuit" as const)
        : undefined;
    return {
      kind: "dnat",
      candidates: set,
      ...(knownGap !== undefined ? { knownGap } : {}),
      why: `new flow to ${fe.role} ${fe.svc}${remembered !== undefined ? " (affinity)" : ""}${shortCircuit ? " (ETP Local from inside: all endpoints)" : ""}`,
      resolve: (be) => this.#dnatNew(b, v, fe, be, from),
    };
  }

  #dnatNew(
    b0: Uint8Array,
    v: Ipv4View,
    fe: ModelFrontend,
    be: Backend,
    from: "pod" | "outside" | "host",
  ): Outcome {
    if (fe.affinity) this.affinity.set(`${fe.svc}|${v.src}`, be);
    const hairpin = from === "pod" && be.addr === v.src;
    const node = from === "outside" && fe.role !== "cluster" && !be.local ? nodeOfPod(be.addr) : undefined;
    const forwardTo = node !== undefined ? { node, dsr: this.dsr } : undefined;
    const bits = legBits(v.proto, v.tcpFlags);
    const host = from === "host";
    if (v.frag !== "later") {
      const rev: Omit<CtEntry, "initA" | "legA" | "legB"> = {
        type: "rev",
        natAddr: v.dst,
        natPort: v.dport,
        hairpin,
        host,
        ...(forwardTo !== undefined ? { forwardTo } : {}),
      };
      this.ct.put(ctKey(v.proto, hairpin ? HAIRPIN_IP : v.src, v.sport, be.addr, be.port), rev, bits);
      this.ct.put(
        ctKey(v.proto, v.src, v.sport, v.dst, v.dport),
        { type: "fwd", natAddr: be.addr, natPort: be.port, hairpin, host },
        0,
      );
    }
    this.flows.push({
      proto: v.proto,
      client: v.src,
      cport: v.sport,
      frontend: v.dst,
      fport: v.dport,
      backend: be,
      hairpin,
      host,
      ...(forwardTo !== undefined ? { forwardTo } : {}),
    });
    if (this.flows.length > 256) this.flows.shift();
    if (v.proto === 132 && be.port !== v.dport)
      return drop(SlReason.SL_R_DROP_SCTP_PORT_NAT, "SCTP Service that changes the port");
    this.#saveFrag(v, {
      dst: true,
      addr: be.addr,
      hairpin,
      ...(forwardTo !== undefined ? { to: forwardTo } : {}),
    });
    const b = b0.slice();
    setAddr(b, 14, "dst", be.addr, v.l4);
    setPort(b, 14, v.l4, "dst", be.port);
    if (hairpin) setAddr(b, 14, "src", HAIRPIN_IP, v.l4);
    const nv = { ...v, dst: be.addr };
    if (host) return forwardHost(b, nv, "host to Service: DNAT on host egress");
    if (forwardTo !== undefined)
      return toNode(
        b,
        nv,
        forwardTo,
        v.dst,
        v.dport,
        `NodePort/LB from outside to ${be.addr} on another node`,
      );
    return forwardPlain(b, nv, hairpin ? "hairpin: DNAT and SNAT to the service loopback address" : "DNAT");
  }

  #saveFrag(v: Ipv4View, f: Omit<FragRecord, "key" | "proto" | "src" | "dst0" | "id">): void {
    if (v.frag !== "first") return;
    const key = fragKey(v);
    this.natFrags.set(key, { ...f, key, proto: v.proto, src: v.src, dst0: v.dst, id: v.id });
  }

  /** #laterFragment applies a fragment entry: the first fragment's address rewrite (no ports) and its way out. */
  #laterFragment(b0: Uint8Array, v: Ipv4View, f: FragRecord, ingress: boolean): Outcome {
    const b = b0.slice();
    let nv: Ipv4View = v;
    if (f.dst) {
      setAddr(b, 14, "dst", f.addr, undefined);
      if (f.hairpin) setAddr(b, 14, "src", HAIRPIN_IP, undefined);
      nv = { ...v, dst: f.addr };
    } else {
      setAddr(b, 14, "src", f.addr, undefined);
      if (f.hairpin) setAddr(b, 14, "dst", v.src, undefined);
      nv = { ...v, src: f.addr, dst: f.hairpin ? v.src : v.dst };
    }
    if (!ingress) return forwardHost(b, nv, "later fragment of a host flow's datagram");
    if (f.to !== undefined && !f.to.dsr)
      return toNode(b, nv, f.to, "", 0, "later fragment follows its first into VXLAN");
    // DSR: only the first fragment carries the option; later ones go to the same node as they are
    if (f.to !== undefined)
      return frameOut("OK", b, nv, "later fragment of a DSR datagram: routed on without the option");
    return forwardPlain(b, nv, "later fragment follows its first fragment's NAT");
  }
}

/** FragRecord is a fragment entry: keyed by the first fragment's original addresses, IP id and protocol. */
export interface FragRecord {
  readonly key: string;
  readonly proto: number;
  readonly src: string;
  readonly dst0: string;
  readonly id: number;
  /** Rewrite the destination (else the source) to addr. */
  readonly dst: boolean;
  readonly addr: string;
  readonly hairpin: boolean;
  readonly to?: { node: string; dsr: boolean };
}

const fragKey = (v: Ipv4View): string => `${v.src}|${v.dst}|${v.id}|${v.proto}`;

/** Hit is a conntrack hit: the entry holding the state, the direction, and a DNAT (NAT_FWD hit). */
interface Hit {
  entry: CtEntry;
  forward: boolean;
  dnat?: { addr: string; port: number; hairpin: boolean };
}
