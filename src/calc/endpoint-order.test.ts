// The cold-start cuts replaced three per-endpoint algorithms (orderLocalFirst's keyed sort,
// sameEndpoints' "addr:port" sets, serviceEndpoints' "addr:port" map): each is checked here
// against the implementation it replaced, kept verbatim as the reference, on random input
// (several slices and ports, duplicates across slices, local and remote copies, ready,
// terminating and not-ready endpoints, any order).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ipv4ToNumber } from "../model/ipv4.ts";
import type { EndpointSlice, ServicePort } from "../model/index.ts";
import { categorizeEndpoints } from "./categorize-endpoints.ts";
import { orderLocalFirst, sameEndpoints } from "./endpoint-order.ts";
import { serviceEndpoints } from "./service-endpoints.ts";
import type { EndpointInfo } from "./service-endpoints.ts";
import { prng } from "../../test/support/random-services.ts";

function referenceOrderLocalFirst(eps: readonly EndpointInfo[]): EndpointInfo[] {
  if (eps.length < 2) return [...eps];
  const keyed = eps.map((ep) => ({ ep, n: ipv4ToNumber(ep.addr) }));
  keyed.sort((a, b) => Number(b.ep.local) - Number(a.ep.local) || a.n - b.n || a.ep.port - b.ep.port);
  return keyed.map((k) => k.ep);
}

function referenceSameEndpoints(a: readonly EndpointInfo[], b: readonly EndpointInfo[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((ep) => `${ep.addr}:${ep.port}`));
  return b.every((ep) => ids.has(`${ep.addr}:${ep.port}`));
}

function referenceServiceEndpoints(
  slices: readonly EndpointSlice[],
  port: ServicePort,
  nodeName: string,
): { endpoints: EndpointInfo[]; problems: string[] } {
  const byAddrPort = new Map<string, EndpointInfo>();
  const problems: string[] = [];
  const portName = port.name ?? "";
  const ordered = [...slices].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  for (const slice of ordered) {
    if (slice.addressType !== "IPv4") continue;
    const slicePort = slice.ports.find((p) => (p.name ?? "") === portName && p.protocol === port.protocol);
    if (slicePort === undefined) continue;
    const number = slicePort.port ?? (typeof port.targetPort === "number" ? port.targetPort : undefined);
    if (number === undefined) {
      problems.push(
        `endpointslice "${slice.metadata.name}": port "${portName}" has no number and targetPort "${port.targetPort}" is named`,
      );
      continue;
    }
    for (const ep of slice.endpoints) {
      const addr = ep.addresses[0];
      if (addr === undefined) continue;
      const info: EndpointInfo = {
        addr,
        port: number,
        local: ep.nodeName !== undefined && ep.nodeName === nodeName,
        ready: ep.conditions.ready ?? true,
        serving: ep.conditions.serving ?? true,
        terminating: ep.conditions.terminating ?? false,
      };
      const id = `${addr}:${number}`;
      const seen = byAddrPort.get(id);
      if (seen === undefined || (info.local && !seen.local)) byAddrPort.set(id, info);
    }
  }
  return { endpoints: [...byAddrPort.values()], problems };
}

/** Integers below n from the seeded generator the NAT property tests use (a failure repeats). */
function random(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => Math.floor(next() * n);
}

function randomSlices(r: (n: number) => number): EndpointSlice[] {
  // Few distinct addresses, so the same address shows up in several slices and twice in one.
  const addr = (): string => `10.${r(2)}.${r(3)}.${r(6)}`;
  const conditions = (): Record<string, boolean> => {
    const c: Record<string, boolean> = {};
    for (const k of ["ready", "serving", "terminating"]) if (r(3) > 0) c[k] = r(2) === 0;
    return c;
  };
  return Array.from({ length: 1 + r(4) }, (_, s) => ({
    metadata: { name: `s${r(5)}-${s}`, namespace: "default" },
    addressType: r(10) === 0 ? "IPv6" : "IPv4",
    ports: [
      ...(r(5) > 0 ? [{ name: "http", protocol: "TCP", port: r(4) === 0 ? 8080 : 80 }] : []),
      ...(r(3) === 0 ? [{ name: "http", protocol: "TCP" }] : []),
      { name: "dns", protocol: "UDP", port: 53 },
    ],
    endpoints: Array.from({ length: r(12) }, () => ({
      addresses: r(15) === 0 ? [] : [addr()],
      conditions: conditions(),
      ...(r(4) > 0 ? { nodeName: r(2) === 0 ? "node-a" : "node-b" } : {}),
    })),
  })) as unknown as EndpointSlice[];
}

const PORTS = [
  { name: "http", protocol: "TCP", port: 80, targetPort: "web" },
  { name: "http", protocol: "TCP", port: 80, targetPort: 9090 },
  { name: "dns", protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 443 },
] as unknown as ServicePort[];

test("serviceEndpoints, orderLocalFirst and sameEndpoints match the implementations they replaced", () => {
  let split = 0;
  let same = 0;
  let sorted = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const r = random(seed);
    const slices = randomSlices(r);
    const port = PORTS[r(PORTS.length)]!;
    const got = serviceEndpoints(slices, port, "node-a");
    const want = referenceServiceEndpoints(slices, port, "node-a");
    assert.deepEqual(got, want, `serviceEndpoints, seed ${seed}`);
    const cat = categorizeEndpoints(got.endpoints);
    const main = orderLocalFirst(cat.cluster);
    assert.deepEqual(main, referenceOrderLocalFirst(cat.cluster), `orderLocalFirst, seed ${seed}`);
    if (main.every((ep, i) => ep === cat.cluster[i])) sorted++;
    const mainLocal = main.filter((ep) => ep.local);
    const s = sameEndpoints(mainLocal, cat.local);
    assert.equal(s, referenceSameEndpoints(mainLocal, cat.local), `sameEndpoints, seed ${seed}`);
    if (s) same++;
    else split++;
    // Shuffled copies (equal content, other objects): the keys decide, as before.
    const copies = [...cat.local].reverse().map((ep) => ({ ...ep }));
    assert.equal(
      sameEndpoints(mainLocal, copies),
      referenceSameEndpoints(mainLocal, copies),
      `sameEndpoints over copies, seed ${seed}`,
    );
    const shuffled = [...got.endpoints].sort(() => r(3) - 1);
    assert.deepEqual(orderLocalFirst(shuffled), referenceOrderLocalFirst(shuffled), `shuffled, seed ${seed}`);
  }
  // The cases the generator must reach, or the comparison above proves little.
  assert.ok(split > 20 && same > 100 && sorted > 100, `split ${split}, same ${same}, in order ${sorted}`);
});

test("sameEndpoints compares more than 16 endpoints through a set, with the same answer", () => {
  const eps = Array.from({ length: 40 }, (_, i) => ({
    addr: `10.0.0.${i}`,
    port: 80,
    local: true,
    ready: true,
    serving: true,
    terminating: false,
  }));
  const reversed = [...eps].reverse();
  assert.equal(sameEndpoints(eps, reversed), true);
  assert.equal(sameEndpoints(eps, [...reversed.slice(1), { ...eps[0]!, addr: "10.0.1.0" }]), false);
  assert.equal(
    sameEndpoints(
      eps,
      reversed.map((ep) => ({ ...ep })),
    ),
    true,
  );
});
