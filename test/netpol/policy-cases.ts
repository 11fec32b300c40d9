/**
 * The network-policy e2e cases of issue 9's Acceptance, as data: the manifests a case applies
 * and the reachability matrix it expects, in the shape of Kubernetes' netpol e2e suite. Every
 * case targets x/a (the destination or, for egress, the source) so the rest of the matrix stays
 * reachable and a wrong cell anywhere shows. A pod always reaches itself (its own IP is local
 * to its namespace, as Kubernetes' AllowLoopback); Service probes are used only where the
 * hairpin path (a pod reaching itself through its own Service) cannot change the answer. Pure.
 */
import { PODS } from "./netpol-lab.ts";
import { uniformReachability, withCells, type Reachability } from "./reachability.ts";

/** Probe names what a step probes: a port and protocol, to pod IPs or Service ClusterIPs. */
export interface Probe {
  readonly port: number;
  readonly proto: "tcp" | "udp";
  readonly to: "pod" | "service";
}

/** Step is one change (manifests applied, labels set) and the matrices expected after it. */
export interface Step {
  readonly what: string;
  readonly apply?: string;
  /** `sluice label pod` arguments: [namespace, pod, ...labels]. */
  readonly label?: readonly string[];
  readonly expect: ReadonlyArray<{ readonly probe: Probe; readonly matrix: Reachability }>;
}

/** PolicyCase is a named sequence of steps; `cleanup` deletes what the steps applied. */
export interface PolicyCase {
  readonly name: string;
  readonly steps: (ips: ReadonlyMap<string, string>) => readonly Step[];
  readonly cleanup: string;
  readonly unlabel?: readonly string[];
}

const TCP80: Probe = { port: 80, proto: "tcp", to: "pod" };
const TCP81: Probe = { port: 81, proto: "tcp", to: "pod" };
const SVC80: Probe = { port: 80, proto: "tcp", to: "service" };
const ALL = uniformReachability(PODS, true);
const DST = "x/a";

/** toA is the matrix where only `from` (and x/a itself) reach x/a; everything else is reachable. */
function toA(from: readonly string[]): Reachability {
  const blocked = PODS.filter((s) => s !== DST && !from.includes(s)).map((s) => [s, DST] as const);
  return withCells(ALL, false, blocked);
}

/** fromA is the matrix where x/a reaches only `to` (and itself). */
function fromA(to: readonly string[]): Reachability {
  const blocked = PODS.filter((d) => d !== DST && !to.includes(d)).map((d) => [DST, d] as const);
  return withCells(ALL, false, blocked);
}

const inNs = (ns: string): string[] => PODS.filter((p) => p.startsWith(`${ns}/`));
const knp = (name: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: x}\nspec:\n${spec}\n`;
const SELECT_A = "  podSelector: {matchLabels: {pod: a}}";

/** POLICY_CASES are run in order against one lab; each cleans up after itself. */
export const POLICY_CASES: readonly PolicyCase[] = [
  {
    name: "default deny: a policy selecting x/a with no ingress rules blocks every peer",
    steps: () => [
      {
        what: "deny-all on x/a",
        apply: knp("deny-a", `${SELECT_A}\n  policyTypes: [Ingress]`),
        expect: [
          { probe: TCP80, matrix: toA([]) },
          { probe: TCP81, matrix: toA([]) },
        ],
      },
    ],
    cleanup: knp("deny-a", SELECT_A),
  },
  {
    name: "allow by pod label: only pod=b of namespace x reaches x/a",
    steps: () => [
      {
        what: "x/a from podSelector pod=b",
        apply: knp("allow-b", `${SELECT_A}\n  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]`),
        expect: [{ probe: TCP80, matrix: toA(["x/b"]) }],
      },
    ],
    cleanup: knp("allow-b", SELECT_A),
  },
  {
    name: "allow by namespace: every pod of namespace y reaches x/a",
    steps: () => [
      {
        what: "x/a from namespaceSelector y",
        apply: knp(
          "allow-ns-y",
          `${SELECT_A}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]`,
        ),
        expect: [{ probe: TCP80, matrix: toA(inNs("y")) }],
      },
    ],
    cleanup: knp("allow-ns-y", SELECT_A),
  },
  {
    name: "allow by CIDR with except: the lab's range reaches x/a, y/b's address excepted",
    steps: (ips) => [
      {
        what: "x/a from ipBlock 198.18.0.0/15 except y/b",
        apply: knp(
          "allow-cidr",
          `${SELECT_A}\n  ingress: [{from: [{ipBlock: {cidr: 198.18.0.0/15, except: [${ips.get("y/b")}/32]}}]}]`,
        ),
        expect: [{ probe: TCP80, matrix: toA(PODS.filter((p) => p !== "y/b")) }],
      },
    ],
    cleanup: knp("allow-cidr", SELECT_A),
  },
  {
    name: "allow by port and by named port: 81 by number, then serve-80-tcp by name",
    steps: () => [
      {
        what: "x/a on port 81 only",
        apply: knp("allow-port", `${SELECT_A}\n  ingress: [{ports: [{port: 81, protocol: TCP}]}]`),
        expect: [
          { probe: TCP80, matrix: toA([]) },
          { probe: TCP81, matrix: ALL },
        ],
      },
      {
        what: "x/a on the named port serve-80-tcp only",
        apply: knp("allow-port", `${SELECT_A}\n  ingress: [{ports: [{port: serve-80-tcp}]}]`),
        expect: [
          { probe: TCP80, matrix: ALL },
          { probe: TCP81, matrix: toA([]) },
          // Through the Services too: the named port is matched on the post-DNAT port (80).
          { probe: SVC80, matrix: ALL },
        ],
      },
    ],
    cleanup: knp("allow-port", SELECT_A),
  },
  {
    name: "egress deny: x/a reaches nobody",
    steps: () => [
      {
        what: "x/a egress with no rules",
        apply: knp("deny-egress", `${SELECT_A}\n  policyTypes: [Egress]`),
        expect: [{ probe: TCP80, matrix: fromA([]) }],
      },
    ],
    cleanup: knp("deny-egress", SELECT_A),
  },
  {
    name: "a tier with Pass: namespace y is passed to the default tier (no policy there: allowed), the rest denied",
    steps: () => [
      {
        what: "tier security, x/a: Pass from y, else Deny",
        apply: `apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.pass-y}
spec:
  tier: security
  order: 10
  selector: "projectcalico.org/namespace == 'x' && pod == 'a'"
  types: [Ingress]
  ingress:
  - {action: Pass, source: {namespaceSelector: "kubernetes.io/metadata.name == 'y'"}}
  - {action: Deny}
`,
        expect: [{ probe: TCP80, matrix: toA(inNs("y")) }],
      },
    ],
    cleanup: `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.pass-y}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
`,
  },
  {
    name: "a GlobalNetworkPolicy deny overrides a namespaced allow by order",
    steps: () => [
      {
        what: "x/allow-all (order 100) and deny-from-z (order 10)",
        apply: `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec: {order: 100, selector: "pod == 'a'", types: [Ingress], ingress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-from-z}
spec:
  order: 10
  selector: "projectcalico.org/namespace == 'x' && pod == 'a'"
  types: [Ingress]
  ingress: [{action: Deny, source: {namespaceSelector: "kubernetes.io/metadata.name == 'z'"}}]
`,
        expect: [{ probe: TCP80, matrix: toA(PODS.filter((p) => !p.startsWith("z/"))) }],
      },
    ],
    cleanup: `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-from-z}
`,
  },
  {
    name: "a label change moves a pod in and out of a policy",
    steps: () => [
      {
        what: "x/a from pods labelled access=granted in any namespace (none yet)",
        apply: knp(
          "allow-granted",
          `${SELECT_A}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {access: granted}}}]}]`,
        ),
        expect: [{ probe: TCP80, matrix: toA([]) }],
      },
      {
        what: "label y/b access=granted",
        label: ["y", "b", "access=granted"],
        expect: [{ probe: TCP80, matrix: toA(["y/b"]) }],
      },
      {
        what: "remove the label from y/b",
        label: ["y", "b", "access-"],
        expect: [{ probe: TCP80, matrix: toA([]) }],
      },
    ],
    cleanup: knp("allow-granted", SELECT_A),
  },
];
