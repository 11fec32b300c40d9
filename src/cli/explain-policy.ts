/**
 * explainPolicy: what `sluice policy explain` computes. From a snapshot of the datastore it
 * builds the PolicyCalculator and, with endpointPolicyIr (the IR the policy programs are
 * compiled from), runs the reference evaluator with a trace on each leg of the path: the
 * source pod's egress and the destination pod's ingress. A Service is resolved the way
 * kube-proxy does (its EndpointSlices, the slice port matched by name and protocol), and both
 * legs see the post-DNAT backend address and port — Kubernetes' semantics, and what the
 * datapath writes into sl_pol_state. Pure: no I/O.
 */
import { PolicyCalculator } from "../calc/policy/index.ts";
import { serviceEndpoints } from "../calc/service-endpoints.ts";
import { SERVICE_NAME_LABEL, type EndpointSlice } from "../model/endpoint-slice.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";
import { podIps, type Pod } from "../model/pod.ts";
import type { Resource } from "../model/resource.ts";
import type { Service, ServicePort } from "../model/service.ts";
import { endpointPolicyIr, ipSetContents } from "../policy/endpoint-policy-ir.ts";
import { evaluatePolicy, type PolicyDecision } from "../policy/evaluate-policy.ts";
import type { IpSetContents } from "../policy/ip-set.ts";
import { RuleIdAllocator, type RuleInfo } from "../policy/rule-ids.ts";
import type { EndpointPolicy, PolicyPacket } from "../policy/rule-ir.ts";
import { PROTOCOL_NUMBER, type ExplainPort, type ExplainTarget } from "./explain-target.ts";

/** ExplainRequest is one question: from where, to where, which port. */
export interface ExplainRequest {
  readonly from: ExplainTarget;
  readonly to: ExplainTarget;
  readonly port: ExplainPort;
  /** The client's source port (rules can match source ports); 40000 when absent. */
  readonly sourcePort?: number;
}

/** Peer is one end of a path: an address and, when a pod owns it, the pod ("ns/name"). */
export interface Peer {
  readonly ip: string;
  readonly pod?: string;
}

/** LegExplanation is one policy hook on the path. */
export interface LegExplanation {
  readonly hook: "egress" | "ingress";
  /** The pod whose policy this is ("ns/name"). */
  readonly pod: string;
  /** The IR evaluated; undefined when no policy selects the pod in this direction (allowed). */
  readonly policy?: EndpointPolicy;
  readonly decision?: PolicyDecision;
  readonly verdict: "allow" | "deny";
}

/** PathExplanation is the packet to one destination (a Service has one per backend). */
export interface PathExplanation {
  readonly destination: Peer;
  readonly port: number;
  readonly packet: PolicyPacket;
  readonly egress?: LegExplanation;
  readonly ingress?: LegExplanation;
  readonly verdict: "allow" | "deny";
}

/** ServiceHop is the Service the request named, with the port it resolved to. */
export interface ServiceHop {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly portName?: string;
}

/** Explanation is everything explain prints. */
export interface Explanation {
  readonly source: Peer;
  readonly protocol: ExplainPort["protocol"];
  readonly service?: ServiceHop;
  /** One per destination; empty when a Service has no endpoint for the port. */
  readonly paths: readonly PathExplanation[];
  /** What a rule id stands for (tier, policy, rule index). */
  ruleInfo(id: number): RuleInfo | undefined;
  /** The selector (and named port) behind an IP-set id, for "why not". */
  setLabel(id: number): string;
}

const podKey = (p: Pod): string => `${p.metadata.namespace}/${p.metadata.name}`;
const PRIORITY: Readonly<Record<string, number>> = { Namespace: 0, Tier: 1 };

class Snapshot {
  readonly pods: Pod[];
  readonly services: Service[];
  readonly slices: EndpointSlice[];
  constructor(readonly resources: readonly Resource[]) {
    this.pods = resources.filter((r): r is Pod => r.kind === "Pod");
    this.services = resources.filter((r): r is Service => r.kind === "Service");
    this.slices = resources.filter((r): r is EndpointSlice => r.kind === "EndpointSlice");
  }

  pod(flag: string, namespace: string, name: string): Pod {
    const pod = this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    if (pod === undefined)
      throw new Error(`policy explain: ${flag}: pod "${namespace}/${name}" not found in the datastore`);
    return pod;
  }

  podByIp(ip: string): Pod | undefined {
    return this.pods.find((p) => p.spec.hostNetwork !== true && podIps(p).includes(ip));
  }

  service(namespace: string, name: string): Service {
    const svc = this.services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
    if (svc === undefined)
      throw new Error(`policy explain: --to: service "${namespace}/${name}" not found in the datastore`);
    return svc;
  }
}

function podPeer(flag: string, pod: Pod): Peer {
  const ip = podIps(pod).find((a) => !a.includes(":"));
  if (ip === undefined)
    throw new Error(`policy explain: ${flag}: pod "${podKey(pod)}" has no IPv4 address (status.podIP)`);
  return { ip, pod: podKey(pod) };
}

function ipPeer(snap: Snapshot, ip: string): Peer {
  const pod = snap.podByIp(ip);
  return pod === undefined ? { ip } : { ip, pod: podKey(pod) };
}

function servicePort(svc: Service, port: ExplainPort): ServicePort {
  const p = svc.spec.ports.find((sp) => sp.port === port.port && sp.protocol === port.protocol);
  if (p === undefined) {
    const has = svc.spec.ports.map((sp) => `${sp.port}/${sp.protocol}`).join(", ") || "none";
    throw new Error(
      `policy explain: --port: service "${svc.metadata.namespace}/${svc.metadata.name}" has no port ${port.port}/${port.protocol} (it has ${has})`,
    );
  }
  return p;
}

/** resolveService turns a Service into its hop and its ready backends (address, target port). */
function resolveService(
  snap: Snapshot,
  svc: Service,
  port: ExplainPort,
): { hop: ServiceHop; backends: Array<{ peer: Peer; port: number }> } {
  const sp = servicePort(svc, port);
  const ns = svc.metadata.namespace as string;
  const slices = snap.slices.filter(
    (s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name,
  );
  const { endpoints } = serviceEndpoints(slices, sp, "");
  const ready = endpoints.filter((e) => e.ready);
  // kube-proxy falls back to serving-and-terminating endpoints when none is ready.
  const chosen = ready.length > 0 ? ready : endpoints.filter((e) => e.serving);
  return {
    hop: {
      namespace: ns,
      name: svc.metadata.name,
      clusterIP: svc.spec.clusterIP ?? "None",
      port: sp.port,
      ...(sp.name !== undefined ? { portName: sp.name } : {}),
    },
    backends: chosen.map((e) => ({ peer: ipPeer(snap, e.addr), port: e.port })),
  };
}

function buildCalculator(resources: readonly Resource[]): PolicyCalculator {
  const calc = new PolicyCalculator();
  const ordered = [...resources].sort((a, b) => (PRIORITY[a.kind] ?? 2) - (PRIORITY[b.kind] ?? 2));
  for (const r of ordered) {
    try {
      calc.upsert(r);
    } catch (err) {
      const where = `${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ""}${r.metadata.name}`;
      throw new Error(`policy explain: read ${where}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
  return calc;
}

function leg(
  calc: PolicyCalculator,
  ids: RuleIdAllocator,
  sets: () => IpSetContents,
  hook: "egress" | "ingress",
  pod: string,
  packet: PolicyPacket,
): LegExplanation {
  const policy = endpointPolicyIr(calc, `pod/${pod}`, hook, ids);
  if (policy === undefined) return { hook, pod, verdict: "allow" };
  const decision = evaluatePolicy(policy, packet, sets(), { trace: true });
  return { hook, pod, policy, decision, verdict: decision.verdict };
}

/** explainPolicy answers `request` over the datastore snapshot `resources`. */
export function explainPolicy(resources: readonly Resource[], request: ExplainRequest): Explanation {
  const snap = new Snapshot(resources);
  const { from, to, port } = request;
  if (from.kind === "service")
    throw new Error("policy explain: --from: a service does not send traffic; give a pod or an IP");
  const source =
    from.kind === "pod"
      ? podPeer("--from", snap.pod("--from", from.namespace, from.name))
      : ipPeer(snap, from.ip);

  // A ClusterIP given as an address means its Service, as it does to the datapath.
  const svc =
    to.kind === "service"
      ? snap.service(to.namespace, to.name)
      : to.kind === "ip"
        ? snap.services.find((s) => s.spec.clusterIP === to.ip)
        : undefined;
  let service: ServiceHop | undefined;
  let destinations: Array<{ peer: Peer; port: number }> = [];
  if (svc !== undefined) {
    const r = resolveService(snap, svc, port);
    service = r.hop;
    destinations = r.backends;
  } else if (to.kind === "pod") {
    destinations = [{ peer: podPeer("--to", snap.pod("--to", to.namespace, to.name)), port: port.port }];
  } else if (to.kind === "ip") {
    destinations = [{ peer: ipPeer(snap, to.ip), port: port.port }];
  }

  const calc = buildCalculator(resources);
  const ids = new RuleIdAllocator();
  let contents: IpSetContents | undefined;
  const sets = (): IpSetContents => (contents ??= ipSetContents(calc.index));
  const paths = destinations.map(({ peer, port: dstPort }): PathExplanation => {
    const packet: PolicyPacket = {
      srcAddr: ipv4ToNumber(source.ip),
      dstAddr: ipv4ToNumber(peer.ip),
      proto: PROTOCOL_NUMBER[port.protocol],
      ipVersion: 4,
      hasPorts: true,
      srcPort: request.sourcePort ?? 40000,
      dstPort,
      icmpType: 0,
      icmpCode: 0,
    };
    const egress = source.pod === undefined ? undefined : leg(calc, ids, sets, "egress", source.pod, packet);
    const ingress = peer.pod === undefined ? undefined : leg(calc, ids, sets, "ingress", peer.pod, packet);
    const verdict = egress?.verdict === "deny" || ingress?.verdict === "deny" ? "deny" : "allow";
    return {
      destination: peer,
      port: dstPort,
      packet,
      ...(egress !== undefined ? { egress } : {}),
      ...(ingress !== undefined ? { ingress } : {}),
      verdict,
    };
  });
  const setNames = new Map(
    calc.index
      .sets()
      .map(({ id, spec }) => [
        id,
        spec.namedPort === undefined
          ? `selector "${spec.selector}"`
          : `named port "${spec.namedPort.name}" of selector "${spec.selector}"`,
      ]),
  );
  return {
    source,
    protocol: port.protocol,
    ...(service !== undefined ? { service } : {}),
    paths,
    ruleInfo: (id) => ids.info(id),
    setLabel: (id) => setNames.get(id) ?? `set ${id}`,
  };
}
