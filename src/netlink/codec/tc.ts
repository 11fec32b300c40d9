/**
 * Traffic-control messages for the clsact qdisc and cls_bpf filters in direct-action mode —
 * the pre-tcx way (kernel < 6.6) to run a BPF program on every packet of an interface.
 */
import { AttrWriter, attrMap, readString, readU32 } from "./attributes.ts";
import { decodeTcMsg, encodeTcMsg, TCMSG_SIZE } from "./headers.ts";

/** TcHandle holds the clsact handles: the qdisc itself and its two filter parents. */
export const TcHandle = {
  /** TC_H_CLSACT: parent of the clsact qdisc. */
  CLSACT: 0xfffffff1,
  /** TC_H_MAKE(TC_H_CLSACT, 0): handle of the clsact qdisc (ffff:). */
  CLSACT_QDISC: 0xffff0000,
  /** ffff:fff2 — ingress hook. */
  INGRESS: 0xfffffff2,
  /** ffff:fff3 — egress hook. */
  EGRESS: 0xfffffff3,
} as const;

/** Tca holds the TCA_* top-level attribute types. */
export const Tca = { KIND: 1, OPTIONS: 2, CHAIN: 11 } as const;

/** TcaBpf holds TCA_BPF_* (inside TCA_OPTIONS of a "bpf" filter). */
export const TcaBpf = { CLASSID: 3, FD: 6, NAME: 7, FLAGS: 8, FLAGS_GEN: 9, TAG: 10, ID: 11 } as const;

/** TCA_BPF_FLAG_ACT_DIRECT: the program's return code is the tc action (no separate action). */
export const TCA_BPF_FLAG_ACT_DIRECT = 1;
// htons(ETH_P_ALL) as it sits in the low 16 bits of tcm_info.
const PROTO_ALL_BE = 0x0300;

/** TcDirection picks the clsact hook. */
export type TcDirection = "ingress" | "egress";

/** parentOf maps a direction to its clsact parent handle. */
export function parentOf(direction: TcDirection): number {
  return direction === "ingress" ? TcHandle.INGRESS : TcHandle.EGRESS;
}

/** encodeClsact builds the RTM_NEWQDISC / RTM_DELQDISC payload for the clsact qdisc of a link. */
export function encodeClsact(index: number): Buffer {
  const hdr = encodeTcMsg({ index, handle: TcHandle.CLSACT_QDISC, parent: TcHandle.CLSACT });
  return Buffer.concat([hdr, new AttrWriter().string(Tca.KIND, "clsact").toBuffer()]);
}

/** encodeQdiscDump builds the RTM_GETQDISC dump request. */
export function encodeQdiscDump(): Buffer {
  return encodeTcMsg({});
}

/** decodeQdiscKind returns the ifindex, parent and kind of a RTM_NEWQDISC payload. */
export function decodeQdisc(payload: Buffer): {
  index: number;
  parent: number;
  handle: number;
  kind: string;
} {
  const hdr = decodeTcMsg(payload);
  return {
    index: hdr.index,
    parent: hdr.parent,
    handle: hdr.handle,
    kind: readString(attrMap(payload, TCMSG_SIZE).get(Tca.KIND)) ?? "",
  };
}

/** BpfFilterSpec identifies a cls_bpf filter and, for attach/replace, its program. */
export interface BpfFilterSpec {
  readonly index: number;
  readonly direction: TcDirection;
  /** Filter priority (preference); lower runs first. */
  readonly priority: number;
  readonly handle: number;
  /** Program fd (BPF_PROG_TYPE_SCHED_CLS); not needed to delete. */
  readonly fd?: number;
  /** Name shown by `tc filter show`, conventionally "<object>:[<section>]". */
  readonly name?: string;
  /** Direct action; on by default. */
  readonly directAction?: boolean;
}

/** encodeBpfFilter builds the RTM_NEWTFILTER / RTM_DELTFILTER payload. */
export function encodeBpfFilter(spec: BpfFilterSpec): Buffer {
  const hdr = encodeTcMsg({
    index: spec.index,
    parent: parentOf(spec.direction),
    handle: spec.handle,
    info: ((spec.priority & 0xffff) << 16) | PROTO_ALL_BE,
  });
  const w = new AttrWriter().string(Tca.KIND, "bpf");
  if (spec.fd !== undefined) {
    w.nested(Tca.OPTIONS, (o) => {
      o.u32(TcaBpf.FD, spec.fd!);
      if (spec.name !== undefined) o.string(TcaBpf.NAME, spec.name);
      o.u32(TcaBpf.FLAGS, spec.directAction === false ? 0 : TCA_BPF_FLAG_ACT_DIRECT);
    });
  }
  return Buffer.concat([hdr, w.toBuffer()]);
}

/** encodeFilterDump builds the RTM_GETTFILTER dump request for one hook of a link. */
export function encodeFilterDump(index: number, direction: TcDirection): Buffer {
  return encodeTcMsg({ index, parent: parentOf(direction) });
}

/** BpfFilter is a decoded cls_bpf filter. */
export interface BpfFilter {
  readonly index: number;
  readonly direction: TcDirection;
  readonly priority: number;
  /** Protocol in host order (ETH_P_ALL = 3 for Sluice's filters). */
  readonly protocol: number;
  readonly handle: number;
  readonly name?: string;
  /** Program id (TCA_BPF_ID). */
  readonly programId?: number;
  /** Program tag, 16 hex digits (TCA_BPF_TAG). */
  readonly programTag?: string;
  readonly directAction: boolean;
}

/**
 * decodeBpfFilter reads a RTM_NEWTFILTER payload; undefined for other filter kinds and for the
 * per-priority header entries (handle 0) that dumps interleave.
 */
export function decodeBpfFilter(payload: Buffer): BpfFilter | undefined {
  const hdr = decodeTcMsg(payload);
  const a = attrMap(payload, TCMSG_SIZE);
  if (readString(a.get(Tca.KIND)) !== "bpf" || hdr.handle === 0) return undefined;
  const opts = a.has(Tca.OPTIONS) ? attrMap(a.get(Tca.OPTIONS)!) : new Map<number, Buffer>();
  const name = readString(opts.get(TcaBpf.NAME));
  const id = readU32(opts.get(TcaBpf.ID));
  const tag = opts.get(TcaBpf.TAG);
  const proto = hdr.info & 0xffff;
  return {
    index: hdr.index,
    direction: hdr.parent === TcHandle.INGRESS ? "ingress" : "egress",
    priority: hdr.info >>> 16,
    protocol: ((proto & 0xff) << 8) | (proto >>> 8),
    handle: hdr.handle,
    ...(name !== undefined ? { name } : {}),
    ...(id !== undefined ? { programId: id } : {}),
    ...(tag !== undefined ? { programTag: tag.toString("hex") } : {}),
    directAction: ((readU32(opts.get(TcaBpf.FLAGS)) ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0,
  };
}
