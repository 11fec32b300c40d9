/**
 * bpf(2) object commands: pin and open pins in bpffs, read map/program/link info, and walk the
 * kernel's id tables (how `sluice` lists tcx links that Debian's bpftool 7.1 cannot show).
 */
import { BpfAttr, BpfCommand, bpfSyscall, bpfTry } from "./bpf.ts";
import { Errno, errnoError } from "./errno.ts";
import { Fd } from "./fd.ts";
import { addressOf } from "./libc.ts";

/** objPin pins fd at `path` (inside a mounted bpffs); EEXIST when something is pinned there. */
export function objPin(fd: number, path: string): void {
  bpfSyscall(BpfCommand.ObjPin, new BpfAttr().cstr(0, path).u32(8, fd), `pin object at "${path}"`);
}

/** objGet opens a pinned object; ENOENT becomes a SyscallError the caller can branch on. */
export function objGet(path: string): Fd {
  return new Fd(bpfSyscall(BpfCommand.ObjGet, new BpfAttr().cstr(0, path), `open pinned object "${path}"`));
}

/** MapInfo is the part of struct bpf_map_info Sluice reads. */
export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly btfId: number;
}

/** ProgInfo is the part of struct bpf_prog_info Sluice reads. */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  /** Hex of the 8-byte program tag (a hash of the instructions). */
  readonly tag: string;
  readonly name: string;
  readonly mapIds: readonly number[];
  readonly loadTimeNs: bigint;
  readonly btfId: number;
}

/** LinkInfo is the part of struct bpf_link_info Sluice reads; ifindex/attachType for tcx and xdp links. */
export interface LinkInfo {
  readonly type: number;
  readonly id: number;
  readonly progId: number;
  readonly ifindex?: number;
  readonly attachType?: number;
}

/** LinkType holds bpf_link_type numbers. */
export const LinkType = { Xdp: 6, Tcx: 11, Netkit: 13 } as const;

function getInfo(fd: number, info: Buffer, what: string): void {
  const attr = new BpfAttr().u32(0, fd).u32(4, info.byteLength).ptr(8, info);
  bpfSyscall(BpfCommand.ObjGetInfoByFd, attr, `read ${what} info`, { detail: `fd ${fd}` });
}

function cname(buf: Buffer, offset: number): string {
  const raw = buf.subarray(offset, offset + 16);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? 16 : end).toString("ascii");
}

/** mapInfo reads BPF_OBJ_GET_INFO_BY_FD for a map. */
export function mapInfo(fd: number): MapInfo {
  const b = Buffer.alloc(88);
  getInfo(fd, b, "map");
  return {
    type: b.readUInt32LE(0),
    id: b.readUInt32LE(4),
    keySize: b.readUInt32LE(8),
    valueSize: b.readUInt32LE(12),
    maxEntries: b.readUInt32LE(16),
    flags: b.readUInt32LE(20),
    name: cname(b, 24),
    btfId: b.readUInt32LE(64),
  };
}

/**
 * progInfo reads BPF_OBJ_GET_INFO_BY_FD for a program, including the ids of the maps it uses
 * (a second call; `withMapIds: false` skips it and leaves mapIds empty).
 */
export function progInfo(fd: number, withMapIds = true): ProgInfo {
  const b = Buffer.alloc(232);
  getInfo(fd, b, "program");
  const nrMaps = b.readUInt32LE(52);
  let mapIds: number[] = [];
  if (nrMaps > 0 && withMapIds) {
    // Second call with a buffer for the map ids: the kernel only fills arrays it was given room for.
    const ids = Buffer.alloc(nrMaps * 4);
    const again = Buffer.alloc(232);
    again.writeUInt32LE(nrMaps, 52);
    again.writeBigUInt64LE(addressOf(ids), 56);
    getInfo(fd, again, "program");
    mapIds = Array.from({ length: nrMaps }, (_, i) => ids.readUInt32LE(i * 4));
  }
  return {
    type: b.readUInt32LE(0),
    id: b.readUInt32LE(4),
    tag: b.subarray(8, 16).toString("hex"),
    name: cname(b, 64),
    mapIds,
    loadTimeNs: b.readBigUInt64LE(40),
    btfId: b.readUInt32LE(128),
  };
}

/** linkInfo reads BPF_OBJ_GET_INFO_BY_FD for a link. */
export function linkInfo(fd: number): LinkInfo {
  const b = Buffer.alloc(48);
  getInfo(fd, b, "link");
  const type = b.readUInt32LE(0);
  const base = { type, id: b.readUInt32LE(4), progId: b.readUInt32LE(8) };
  if (type === LinkType.Tcx || type === LinkType.Netkit) {
    return { ...base, ifindex: b.readUInt32LE(16), attachType: b.readUInt32LE(20) };
  }
  if (type === LinkType.Xdp) return { ...base, ifindex: b.readUInt32LE(16) };
  return base;
}

/** ObjectKind picks which id table getNextId/getFdById walk. */
export type ObjectKind = "prog" | "map" | "link";

const NEXT_ID = {
  prog: BpfCommand.ProgGetNextId,
  map: BpfCommand.MapGetNextId,
  link: BpfCommand.LinkGetNextId,
};
const FD_BY_ID = {
  prog: BpfCommand.ProgGetFdById,
  map: BpfCommand.MapGetFdById,
  link: BpfCommand.LinkGetFdById,
};

/** getNextId returns the next id after `start` in the kernel's table of `kind`, or undefined at the end. */
export function getNextId(kind: ObjectKind, start: number): number | undefined {
  const attr = new BpfAttr().u32(0, start);
  const r = bpfTry(NEXT_ID[kind], attr);
  if (r === -Errno.ENOENT) return undefined;
  if (r < 0) throw errnoError(`list ${kind} ids`, -r);
  return attr.readU32(4);
}

/** getFdById opens an object by id; undefined when it vanished in between (ENOENT). */
export function getFdById(kind: ObjectKind, id: number): Fd | undefined {
  const r = bpfTry(FD_BY_ID[kind], new BpfAttr().u32(0, id));
  if (r === -Errno.ENOENT) return undefined;
  if (r < 0) throw errnoError(`open ${kind} by id`, -r, { detail: `id ${id}` });
  return new Fd(r);
}
