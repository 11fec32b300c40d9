/**
 * The sections of `sluice dump`: each reads pinned maps (or links) under a pin directory and
 * returns plain rows, so the command prints them as a table or as JSON. Reading only: nothing
 * here writes a map. Needs CAP_BPF (root).
 */
import { readMapFullStatus } from "../agent/map-full-status.ts";
import { readdirSync } from "node:fs";
import { Link } from "../bpf/link/link.ts";
import { listLinks as listBpfLinks } from "../bpf/link/list-links.ts";
import { BpfMap } from "../bpf/map.ts";
import { AttachType } from "../bpf/program-type.ts";
import { mapPinPath } from "../datapath/datapath-maps.ts";
import { parseLinkPin } from "../datapath/iface-attacher.ts";
import { sluiceFilters } from "../datapath/sluice-filters.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import {
  ConntrackMap,
  type CtEntry,
  CountersMap,
  GlobalsMap,
  NatFrontendMap,
  RoutesMap,
  type NatBackend,
} from "../datapath/maps/index.ts";
import { decodeSlNatBeKey, decodeSlNatBeValue } from "../datapath/abi/abi.ts";
import { rawEntries } from "../datapath/maps/raw-map.ts";
import { SL_HAIRPIN_IP_DEFAULT } from "../datapath/abi/abi.ts";
import { ipv4FromNumber } from "../model/ipv4.ts";
import { resolveCtTimeouts } from "../calc/conntrack-lifetime.ts";
import { conntrackRecords, formatRemaining } from "./conntrack-rows.ts";
import { getFdById, LinkType, progInfo } from "../kernel/bpf-obj.ts";
import { pinExists } from "../kernel/bpffs.ts";
import { listLinks as listNetLinks } from "../netlink/links.ts";
import { protocolName as k8sProtocolName } from "../calc/ip-protocol.ts";

/**
 * DumpSection is one table: headers, rows for humans, and records for --json. A section that
 * applied the page (DumpOptions.offset/limit) itself sets `total`, the count before paging;
 * without it the command pages the rows.
 */
export interface DumpSection {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number | bigint)[])[];
  readonly records: readonly Record<string, unknown>[];
  readonly total?: number;
}

/** withMap opens a pinned map for the length of `fn` (a clear error when nothing is pinned). */
export function withMap<T>(pinDir: string, name: string, fn: (m: BpfMap) => T): T {
  const path = mapPinPath(pinDir, name);
  if (!pinExists(path))
    throw new Error(
      `open map "${name}": nothing pinned at "${path}" (is an agent running with this --bpffs-root?)`,
    );
  const m = BpfMap.openPinned(path, name);
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

/**
 * DumpOptions: `netns` names the namespace whose interface names apply (a lab node); `offset`
 * and `limit` ask for one page of each section (sections with 100k+ entries honour them before
 * building rows).
 */
export interface DumpOptions {
  readonly netns?: string;
  readonly offset?: number;
  readonly limit?: number;
}

/** pageOf is the page `o` asks for out of `items`. */
export function pageOf<T>(items: readonly T[], o: DumpOptions): readonly T[] {
  const from = o.offset ?? 0;
  return o.limit === undefined ? items.slice(from) : items.slice(from, from + o.limit);
}

/** ifaceNames maps ifindex → interface name (in `o.netns` when given); empty when links cannot be read. */
export function ifaceNames(o: DumpOptions): Map<number, string> {
  try {
    return new Map(
      listNetLinks(o.netns !== undefined ? { netns: o.netns } : {}).map((l) => [l.index, l.name]),
    );
  } catch {
    return new Map();
  }
}

const protocolName = (proto: number): string => (proto === 1 ? "ICMP" : k8sProtocolName(proto));

const flagNames = (flags: number, names: Readonly<Record<number, string>>): string =>
  Object.entries(names)
    .filter(([bit]) => flags & Number(bit))
    .map(([, n]) => n)
    .join(",") || "-";

/** dumpConntrack lists sl_ct with each entry's state and remaining lifetime (timeouts from sl_globals). */
export function dumpConntrack(pinDir: string): DumpSection[] {
  const entries = withMap(pinDir, SL_MAP.ct, (m) => [...new ConntrackMap(m).entries()]);
  const timeouts = resolveCtTimeouts(
    withMap(pinDir, SL_MAP.globals, (m) => new GlobalsMap(m).get().ctTimeouts),
  );
  const now = process.hrtime.bigint(); // CLOCK_MONOTONIC, as bpf_ktime_get_ns
  const records = conntrackRecords(entries, timeouts, now, ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT));
  const ct = {
    1: "init-a",
    2: "tunnel",
    4: "dsr",
    8: "nodeport-fwd",
    16: "dsr-fwd",
    32: "hairpin",
    64: "host",
    128: "reset",
  };
  return [
    {
      title: "conntrack (sl_ct)",
      headers: [
        "proto",
        "a",
        "b",
        "type",
        "state",
        "expires in",
        "flags",
        "nat",
        "tunnel",
        "idle",
        "a sent",
        "b sent",
      ],
      rows: records.map(({ entry: e, ...r }) => [
        protocolName(e.proto),
        `${e.a.addr}:${e.a.port}`,
        `${e.b.addr}:${e.b.port}`,
        e.type,
        r.state ?? "ORPHAN",
        formatRemaining({ entry: e, ...r }),
        flagNames(e.flags, ct),
        e.type === "normal" ? "-" : `${e.nat.addr}:${e.nat.port}`,
        e.tunIp === "0.0.0.0" ? "-" : e.tunIp,
        `${Number((now - e.lastSeenNs) / 1_000_000n) / 1000}s`,
        sentCell(e, "a"),
        sentCell(e, "b"),
      ]),
      records: records.map(({ entry: e, ...r }) => ({
        ...e,
        createdNs: String(e.createdNs),
        lastSeenNs: String(e.lastSeenNs),
        sent: e.sent && {
          a: { packets: String(e.sent.a.packets), bytes: String(e.sent.a.bytes) },
          b: { packets: String(e.sent.b.packets), bytes: String(e.sent.b.bytes) },
        },
        state: r.state ?? "ORPHAN",
        expired: r.expired,
        remainingS: Number(r.remainingNs / 1_000_000n) / 1000,
      })),
    },
  ];
}

/** sentCell shows what one side of a conntrack entry sent; a nat-fwd entry keeps no counts. */
function sentCell(e: CtEntry, side: "a" | "b"): string {
  if (e.type === "nat-fwd" || !e.sent) return "-";
  return `${e.sent[side].packets}p/${e.sent[side].bytes}B`;
}

/**
 * dumpNat lists sl_nat_fe and sl_nat_be in service-id order. At 10k Services sl_nat_be holds
 * 100k entries: both are read in batches, and only the page asked for is decoded into rows.
 */
export function dumpNat(pinDir: string, o: DumpOptions = {}): DumpSection[] {
  const fes = withMap(pinDir, SL_MAP.nat_fe, (m) => [...new NatFrontendMap(m).entries()]).sort(
    ([ka, a], [kb, b]) => a.svcId - b.svcId || ka.port - kb.port || (ka.addr < kb.addr ? -1 : 1),
  );
  const bes = withMap(pinDir, SL_MAP.nat_be, (m) =>
    [...rawEntries(m)]
      .map(([k, v]) => ({ key: decodeSlNatBeKey(k), value: v }))
      .sort((a, b) => a.key.svcId - b.key.svcId || a.key.index - b.key.index),
  );
  const fePage = pageOf(fes, o);
  const bePage = pageOf(bes, o).map(({ key, value }): [typeof key, NatBackend] => {
    const d = decodeSlNatBeValue(value);
    return [key, { addr: ipv4FromNumber(d.addr), port: d.port }];
  });
  const fe = { 1: "external", 2: "etp-local", 4: "itp-local", 8: "affinity" };
  return [
    {
      title: "NAT frontends (sl_nat_fe)",
      headers: ["frontend", "proto", "svc id", "backends", "local", "flags", "affinity"],
      rows: fePage.map(([k, v]) => [
        `${k.addr === "0.0.0.0" ? "*" : k.addr}:${k.port}`,
        protocolName(k.proto),
        v.svcId,
        v.count,
        v.localCount,
        flagNames(v.flags, fe),
        v.affinityTimeoutS ? `${v.affinityTimeoutS}s` : "-",
      ]),
      records: fePage.map(([k, v]) => ({ frontend: k, service: v })),
      total: fes.length,
    },
    {
      title: "NAT backends (sl_nat_be)",
      headers: ["svc id", "index", "backend"],
      rows: bePage.map(([k, v]) => [k.svcId, k.index, `${v.addr}:${v.port}`]),
      records: bePage.map(([k, v]) => ({ ...k, backend: v })),
      total: bes.length,
    },
  ];
}

/** dumpRoutes lists sl_routes. */
export function dumpRoutes(pinDir: string, o: DumpOptions = {}): DumpSection[] {
  const names = ifaceNames(o);
  const routes = withMap(pinDir, SL_MAP.routes, (m) => [...new RoutesMap(m).entries()]);
  return [
    {
      title: "routes (sl_routes)",
      headers: ["cidr", "kind", "iface", "next hop", "mac", "host mac"],
      rows: routes.map(([cidr, r]) => [
        cidr,
        r.kind,
        r.kind === "local-workload" ? `${names.get(r.ifindex) ?? "?"} (${r.ifindex})` : "-",
        r.kind === "remote-workload" ? r.nextHop : "-",
        r.kind === "local-workload" ? r.mac : "-",
        r.kind === "local-workload" ? r.hostMac : "-",
      ]),
      records: routes.map(([cidr, r]) => ({ cidr, ...r })),
    },
  ];
}

/** dumpCounters lists sl_counters summed over CPUs. */
export function dumpCounters(pinDir: string, o: DumpOptions = {}): DumpSection[] {
  const names = ifaceNames(o);
  const totals = withMap(pinDir, SL_MAP.counters, (m) => [...new CountersMap(m).totals()]).sort(
    (a, b) => a.ifindex - b.ifindex || a.reason - b.reason,
  );
  return [
    {
      title: "datapath counters (sl_counters)",
      headers: ["iface", "reason", "packets", "bytes"],
      rows: totals.map((t) => [
        `${names.get(t.ifindex) ?? "?"} (${t.ifindex})`,
        t.reasonName,
        t.packets,
        t.bytes,
      ]),
      records: totals.map((t) => ({
        ...t,
        iface: names.get(t.ifindex) ?? null,
        packets: String(t.packets),
        bytes: String(t.bytes),
      })),
    },
    ...notProgrammedSection(pinDir),
  ];
}

/** notProgrammedSection: the Services the agent kept out of full NAT maps (its map-full status). */
function notProgrammedSection(pinDir: string): DumpSection[] {
  // Only when some Service is out: `dump counters --json` keeps its one-section shape otherwise.
  const status = readMapFullStatus(pinDir);
  if (status === undefined || status.length === 0) return [];
  const rows = status.flatMap((n) => n.services.map((s) => [n.map, s, n.field]));
  return [
    {
      title: "services not programmed (map full: raise the field)",
      headers: ["map", "service", "field"],
      rows,
      records: status.flatMap((n) => n.services.map((service) => ({ map: n.map, service, field: n.field }))),
    },
  ];
}

function progName(id: number): string {
  const fd = getFdById("prog", id);
  if (fd === undefined) return "?";
  try {
    return progInfo(fd.value).name;
  } finally {
    fd.close();
  }
}

/** pinnedLinkIds maps link id → pin file name of the links pinned under pinDir/links. */
function pinnedLinks(pinDir: string): Map<number, { iface: string; direction: string; pin: string }> {
  const out = new Map<number, { iface: string; direction: string; pin: string }>();
  const dir = `${pinDir}/links`;
  if (!pinExists(dir)) return out;
  for (const f of readdirSync(dir)) {
    const parsed = parseLinkPin(f);
    if (!parsed) continue;
    const link = Link.openPinned(`${dir}/${f}`);
    try {
      out.set(link.info().id, { ...parsed, pin: `${dir}/${f}` });
    } finally {
      link.close();
    }
  }
  return out;
}

/** dumpIfaces lists the interfaces this pin root's agent attached: its tcx and XDP (doNotTrack) link pins and the Sluice cls_bpf filters in `o.netns`. */
export function dumpIfaces(pinDir: string, o: DumpOptions = {}): DumpSection[] {
  const names = ifaceNames(o);
  const rows: (string | number)[][] = [];
  const records: Record<string, unknown>[] = [];
  const dir = `${pinDir}/links`;
  for (const f of pinExists(dir) ? readdirSync(dir).sort() : []) {
    const parsed = parseLinkPin(f);
    if (!parsed) continue;
    const link = Link.openPinned(`${dir}/${f}`);
    try {
      const info = link.info();
      const prog = progName(info.progId);
      const role = prog.endsWith("_wep") ? "workload" : prog.endsWith("_hep") ? "host" : "?";
      const live =
        info.ifindex !== undefined && info.ifindex !== 0 && names.get(info.ifindex) === parsed.iface;
      rows.push([
        parsed.iface,
        info.ifindex ?? 0,
        role,
        parsed.direction,
        prog,
        info.progId,
        info.id,
        live ? "attached" : "defunct",
      ]);
      records.push({
        iface: parsed.iface,
        ifindex: info.ifindex ?? 0,
        role,
        direction: parsed.direction,
        program: prog,
        progId: info.progId,
        linkId: info.id,
        attached: live,
        mechanism: "tcx",
      });
    } finally {
      link.close();
    }
  }
  // doNotTrack ingress: xdp_hep by XDP link pins under <pinDir>/xdp (xdp-attacher.ts)
  const xdpDir = `${pinDir}/xdp`;
  for (const f of pinExists(xdpDir) ? readdirSync(xdpDir).sort() : []) {
    const iface = f.replaceAll(":", ".");
    const link = Link.openPinned(`${xdpDir}/${f}`);
    try {
      const info = link.info();
      const prog = progName(info.progId);
      const live = info.ifindex !== undefined && info.ifindex !== 0 && names.get(info.ifindex) === iface;
      rows.push([
        iface,
        info.ifindex ?? 0,
        "host",
        "xdp",
        prog,
        info.progId,
        info.id,
        live ? "attached" : "defunct",
      ]);
      records.push({
        iface,
        ifindex: info.ifindex ?? 0,
        role: "host",
        direction: "xdp",
        program: prog,
        progId: info.progId,
        linkId: info.id,
        attached: live,
        mechanism: "xdp",
      });
    } finally {
      link.close();
    }
  }
  // cls_bpf filters have no pins: they are the Sluice-named filters in the node's namespace.
  let filters: ReturnType<typeof sluiceFilters> = [];
  try {
    filters = sluiceFilters(o.netns !== undefined ? { netns: o.netns } : {});
  } catch {
    // no such namespace or no CAP_NET_ADMIN: the link pins are all there is to show
  }
  for (const f of filters) {
    const prog = f.programId !== undefined ? progName(f.programId) : "?";
    const role = prog.endsWith("_wep") ? "workload" : prog.endsWith("_hep") ? "host" : "?";
    const iface = names.get(f.index) ?? "?";
    rows.push([
      iface,
      f.index,
      role,
      f.direction,
      prog,
      f.programId ?? 0,
      `cls_bpf ${f.priority}:${f.handle}`,
      "attached",
    ]);
    records.push({
      iface,
      ifindex: f.index,
      role,
      direction: f.direction,
      program: prog,
      progId: f.programId ?? 0,
      filter: { name: f.name, priority: f.priority, handle: f.handle },
      attached: true,
      mechanism: "cls_bpf",
    });
  }
  return [
    {
      title: "interfaces (tcx link pins and cls_bpf filters)",
      headers: ["iface", "ifindex", "role", "hook", "program", "prog id", "link id / filter", "state"],
      rows,
      records,
    },
  ];
}

/** dumpLinks lists every tcx link on the machine (bpftool 7.1 cannot), marking the ones pinned under pinDir. */
export function dumpLinks(pinDir: string, o: DumpOptions = {}): DumpSection[] {
  const names = ifaceNames(o);
  const ours = pinnedLinks(pinDir);
  const links = listBpfLinks({ type: LinkType.Tcx });
  const hook = (t: number | undefined): string =>
    t === AttachType.TcxIngress ? "ingress" : t === AttachType.TcxEgress ? "egress" : String(t);
  return [
    {
      title: "tcx links (all namespaces; iface names resolved in this one)",
      headers: ["link id", "ifindex", "iface", "hook", "prog id", "program", "pinned"],
      rows: links.map((l) => [
        l.id,
        l.ifindex ?? 0,
        ours.get(l.id)?.iface ?? names.get(l.ifindex ?? 0) ?? "?",
        hook(l.attachType),
        l.progId,
        progName(l.progId),
        ours.get(l.id)?.pin ?? "-",
      ]),
      records: links.map((l) => ({
        linkId: l.id,
        ifindex: l.ifindex ?? 0,
        iface: ours.get(l.id)?.iface ?? names.get(l.ifindex ?? 0) ?? null,
        hook: hook(l.attachType),
        progId: l.progId,
        program: progName(l.progId),
        pin: ours.get(l.id)?.pin ?? null,
      })),
    },
  ];
}
