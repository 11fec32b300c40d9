/**
 * Forwarding as the fuzz model states it (DESIGN §4, fib.h's and vxlan.h's header comments):
 * from tc ingress a packet for a local pod is redirected into it (TTL-1, the pod's MACs) unless
 * its TTL expires; a host flow's packet for a local pod goes to the pod's veth (MACs, no TTL
 * change); everything else goes to the stack (the test netns has no routes, so the FIB never
 * answers). To another node: VXLAN (the exact inner packet), or the 8-byte DSR option carrying
 * the frontend right after the fixed IPv4 header.
 */
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { internetChecksum } from "../packet/internet-checksum.ts";
import { checksumOffsets, decTtl, setMacs } from "./fuzz-bytes.ts";
import type { Outcome } from "./fuzz-outcome.ts";
import type { Ipv4View } from "./fuzz-parse.ts";
import { FW, type LocalPod } from "./fuzz-world.ts";

/** TUNNEL_MTU: the largest inner packet the tunnel takes (cfg_tunnel_mtu's default). */
const TUNNEL_MTU = 1450;

const localPod = (addr: string): LocalPod | undefined => FW.localPods.find((p) => p.ip === addr);

/** frameOut is an exact-frame outcome; `extra` adds checksum fields beyond the IP and L4 ones. */
export const frameOut = (
  verdict: "OK" | "REDIRECT",
  bytes: Uint8Array,
  v: Ipv4View | undefined,
  why: string,
  extra: readonly number[] = [],
): Outcome => ({
  kind: "frame",
  verdict,
  bytes,
  checksums:
    v === undefined ? [] : [...checksumOffsets(14, v.proto, v.frag === "later" ? undefined : v.l4), ...extra],
  why,
});

/** forwardPlain is forwarding from tc ingress: into a local pod by redirect (TTL-1, its MACs), else the stack. */
export function forwardPlain(
  b0: Uint8Array,
  v: Ipv4View,
  why: string,
  extra: readonly number[] = [],
): Outcome {
  const pod = localPod(v.dst);
  if (pod === undefined || v.ttl <= 1) return frameOut("OK", b0, v, `${why}; to the stack`, extra);
  const b = b0.slice();
  decTtl(b, 14);
  setMacs(b, pod.mac, pod.hostMac);
  return frameOut("REDIRECT", b, v, `${why}; redirected into pod ${pod.ip}`, extra);
}

/** forwardHost sends on a host flow's packet: into a local pod's veth (its MACs, no TTL change), else on. */
export function forwardHost(
  b0: Uint8Array,
  v: Ipv4View,
  why: string,
  extra: readonly number[] = [],
): Outcome {
  const pod = localPod(v.dst);
  if (pod === undefined) return frameOut("OK", b0, v, `${why}; on to the FIB`, extra);
  const b = b0.slice();
  setMacs(b, pod.mac, pod.hostMac);
  return frameOut("REDIRECT", b, v, `${why}; redirected to pod ${pod.ip}'s veth`, extra);
}

/** toNode sends a (rewritten) packet to another node: VXLAN, or the DSR option carrying the frontend. */
export function toNode(
  b: Uint8Array,
  v: Ipv4View,
  to: { node: string; dsr: boolean },
  feAddr: string,
  fePort: number,
  why: string,
): Outcome {
  const trimmed = b.slice(0, 14 + v.tot);
  if (!to.dsr) {
    if (v.tot > TUNNEL_MTU) return { kind: "unmodelled", why: "too big for the tunnel" };
    return {
      kind: "tunnel",
      node: to.node,
      inner: trimmed,
      checksums: checksumOffsets(14, v.proto, v.frag === "later" ? undefined : v.l4),
      why,
    };
  }
  if (v.ihl + 8 > 60)
    return { kind: "drop", reason: SlReason.SL_R_DROP_IPV4_OPTIONS_DSR, why: "no room for the DSR option" };
  if (v.tot + 8 > TUNNEL_MTU + 50) return { kind: "unmodelled", why: "too big for DSR" };
  const out = new Uint8Array(trimmed.length + 8);
  out.set(trimmed.subarray(0, 34), 0);
  const p = feAddr.split(".").map(Number);
  out.set([0x9e, 8, fePort >> 8, fePort & 0xff, p[0]!, p[1]!, p[2]!, p[3]!], 34);
  out.set(trimmed.subarray(34), 42);
  out[14] = (out[14]! & 0xf0) | ((v.ihl + 8) / 4);
  out[16] = ((v.tot + 8) >> 8) & 0xff;
  out[17] = (v.tot + 8) & 0xff;
  out[24] = 0;
  out[25] = 0;
  const sum = internetChecksum(out.subarray(14, 14 + v.ihl + 8));
  out[24] = sum >> 8;
  out[25] = sum & 0xff;
  return {
    kind: "dsr",
    node: to.node,
    bytes: out,
    checksums: checksumOffsets(14, v.proto, v.frag === "later" ? undefined : v.l4 + 8),
    why,
  };
}
