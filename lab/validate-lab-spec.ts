/**
 * validateLabSpec checks a resolved spec before anything is planned or built: names, counts,
 * and an address plan whose ranges do not overlap and are large enough. Pure.
 */
import { ValidationError } from "../src/errors/validation-error.ts";
import { cidrContains, cidrSize, cidrsOverlap, parseCidr, parseIpv4 } from "./ipv4-cidr.ts";
import type { Ipv4Cidr } from "./ipv4-cidr.ts";
import { LAB_NAME_PATTERN } from "./lab-names.ts";
import type { ResolvedLabSpec } from "./lab-spec.ts";

const RESOURCE = "lab spec";
// Pod defaults route via 169.254.1.1, so no lab range may contain it.
const POD_GATEWAY_ADDR = parseIpv4("169.254.1.1");

/** validateLabSpec returns every problem found (empty when the spec is good), each naming its field. */
export function validateLabSpec(spec: ResolvedLabSpec): ValidationError[] {
  const problems: ValidationError[] = [];
  const bad = (field: string, reason: string): void => {
    problems.push(new ValidationError(RESOURCE, field, reason));
  };
  if (!LAB_NAME_PATTERN.test(spec.name)) {
    bad("name", `"${spec.name}" must be 1-31 lowercase letters, digits or "-", starting with a letter`);
  }
  if (!Number.isInteger(spec.nodes) || spec.nodes < 1) bad("nodes", `${spec.nodes} must be an integer >= 1`);
  if (!Number.isInteger(spec.podsPerNode) || spec.podsPerNode < 0) {
    bad("podsPerNode", `${spec.podsPerNode} must be an integer >= 0`);
  }
  checkPaths(spec, bad);
  const a = spec.addresses;
  const cidrs: { field: "underlayCidr" | "podPool" | "serviceCidr"; cidr: Ipv4Cidr }[] = [];
  for (const field of ["underlayCidr", "podPool", "serviceCidr"] as const) {
    try {
      cidrs.push({ field, cidr: parseCidr(a[field]) });
    } catch (e) {
      bad(`addresses.${field}`, (e as Error).message);
    }
  }
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      const x = cidrs[i]!;
      const y = cidrs[j]!;
      if (cidrsOverlap(x.cidr, y.cidr)) {
        bad(`addresses.${y.field}`, `"${a[y.field]}" overlaps addresses.${x.field} "${a[x.field]}"`);
      }
    }
    if (cidrContains(cidrs[i]!.cidr, POD_GATEWAY_ADDR)) {
      bad(`addresses.${cidrs[i]!.field}`, `"${a[cidrs[i]!.field]}" contains the pod gateway 169.254.1.1`);
    }
  }
  const underlay = cidrs.find((c) => c.field === "underlayCidr")?.cidr;
  if (underlay) checkUnderlay(spec, underlay, bad);
  const pool = cidrs.find((c) => c.field === "podPool")?.cidr;
  if (pool) checkPodPool(spec, pool, bad);
  const nodeNames = new Set(Array.from({ length: Math.max(0, spec.nodes) }, (_, i) => `node-${i + 1}`));
  spec.pods.forEach((p, i) => {
    if (!nodeNames.has(p.node))
      bad(`pods[${i}].node`, `no node "${p.node}" in a lab of ${spec.nodes} node(s)`);
  });
  return problems;
}

function checkUnderlay(
  spec: ResolvedLabSpec,
  underlay: Ipv4Cidr,
  bad: (field: string, reason: string) => void,
): void {
  const a = spec.addresses;
  // Host numbers 0 and size-1 are the network and broadcast addresses.
  const last = cidrSize(underlay) - 2;
  const inRange = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= last;
  if (!inRange(a.gatewayHost))
    bad("addresses.gatewayHost", `${a.gatewayHost} is not a host number in "${a.underlayCidr}" (1..${last})`);
  if (!inRange(a.clientHost))
    bad("addresses.clientHost", `${a.clientHost} is not a host number in "${a.underlayCidr}" (1..${last})`);
  const first = a.nodeHostOffset + 1;
  const lastNode = a.nodeHostOffset + spec.nodes;
  if (!inRange(first) || !inRange(lastNode)) {
    bad(
      "nodes",
      `${spec.nodes} node(s) from host ${first} do not fit in underlay "${a.underlayCidr}" (hosts 1..${last})`,
    );
  }
  for (const [field, host] of [
    ["gatewayHost", a.gatewayHost],
    ["clientHost", a.clientHost],
  ] as const) {
    if (host >= first && host <= lastNode) {
      bad(`addresses.${field}`, `host ${host} collides with a node address (hosts ${first}..${lastNode})`);
    }
  }
  if (a.gatewayHost === a.clientHost) bad("addresses.clientHost", `host ${a.clientHost} is also the gateway`);
}

function checkPodPool(
  spec: ResolvedLabSpec,
  pool: Ipv4Cidr,
  bad: (field: string, reason: string) => void,
): void {
  const a = spec.addresses;
  if (!Number.isInteger(a.podBlockPrefix) || a.podBlockPrefix < pool.prefix || a.podBlockPrefix > 30) {
    bad(
      "addresses.podBlockPrefix",
      `/${a.podBlockPrefix} must be between /${pool.prefix} (the pool) and /30`,
    );
    return;
  }
  // Block #0 is left unused so node i owns block #i (198.19.1.0/24 for node-1): easy to read.
  const blocks = 2 ** (a.podBlockPrefix - pool.prefix) - 1;
  if (spec.nodes > blocks) {
    bad(
      "nodes",
      `${spec.nodes} node(s) need ${spec.nodes} /${a.podBlockPrefix} pod blocks; "${a.podPool}" has ${blocks}`,
    );
  }
  const perBlock = 2 ** (32 - a.podBlockPrefix) - 3;
  const extra = new Map<string, number>();
  for (const p of spec.pods) extra.set(p.node, (extra.get(p.node) ?? 0) + 1);
  const most = spec.podsPerNode + Math.max(0, ...extra.values());
  if (most > perBlock) {
    bad(
      "podsPerNode",
      `${most} pods on one node do not fit in a /${a.podBlockPrefix} pod CIDR (at most ${perBlock})`,
    );
  }
}

function checkPaths(spec: ResolvedLabSpec, bad: (field: string, reason: string) => void): void {
  for (const field of ["stateDir", "datastoreDir"] as const) {
    const path = spec[field];
    if (!path.startsWith("/") || path.split("/").includes(".."))
      bad(field, `"${path}" must be an absolute path without ".."`);
    // Pseudo filesystems: Node's recursive mkdir never returns there (it retries ENOENT forever).
    else if (/^\/(proc|sys)(\/|$)/.test(path))
      bad(field, `"${path}" is on a pseudo filesystem (/proc, /sys)`);
  }
  // down removes the pin root recursively, so it must be a directory of its own inside bpffs.
  if (!/^\/sys\/fs\/bpf\/[^/]/.test(spec.bpffsRoot) || spec.bpffsRoot.split("/").includes("..")) {
    bad("bpffsRoot", `"${spec.bpffsRoot}" must be a directory below /sys/fs/bpf/`);
  }
}
