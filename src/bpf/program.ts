/**
 * Program is a live, verified BPF program (it owns the fd), loaded from a ProgramSpec with its
 * map references resolved, or opened from a pin. Loading needs CAP_BPF (plus CAP_NET_ADMIN for
 * tc/xdp types).
 */
import { objGet, progInfo, type ProgInfo } from "../kernel/bpf-obj.ts";
import {
  progLoad,
  progLoadAsync,
  progTestRun,
  type ProgLoadAttr,
  type ProgLoadResult,
} from "../kernel/bpf-prog.ts";
import { Errno, errnoError } from "../kernel/errno.ts";
import type { Fd } from "../kernel/fd.ts";
import { VerifierError } from "../errors/verifier-error.ts";
import type { ProgramSpec } from "./program-spec.ts";
import { patchMapReferences } from "./patch-map-references.ts";
import { PinnableObject } from "./pinnable-object.ts";

/** ProgramLoadOptions resolves map names to fds and tunes the verifier log. */
export interface ProgramLoadOptions {
  /** Map name (as in the spec's relocations) → live map fd. */
  readonly mapFds: ReadonlyMap<string, number>;
  /** Loaded object BTF, so func_info/line_info go along (better verifier logs, needed by some helpers). */
  readonly btfFd?: number;
  /** Starting verifier log size for the retry after a rejection (default 256 KiB, doubled on ENOSPC). */
  readonly logSize?: number;
}

/** TestRunInput is one BPF_PROG_TEST_RUN: a packet, an optional context (e.g. `__sk_buff` with mark), a repeat count. */
export interface TestRunInput {
  readonly data: Uint8Array;
  readonly ctx?: Uint8Array;
  readonly repeat?: number;
  /** Room for the output packet (default input length + 256, for programs that grow the packet). */
  readonly dataSizeOut?: number;
}

/** TestRunOutput is the verdict, the packet as the program left it, ns per run, and the output context. */
export interface TestRunOutput {
  readonly retval: number;
  readonly data: Uint8Array;
  readonly duration: number;
  readonly ctx?: Uint8Array;
}

// The kernel caps log_size at 1 GiB; past 16 MiB the (rotating) tail already holds the reason.
const MAX_LOG = 16 << 20;

export class Program extends PinnableObject {
  readonly name: string;
  readonly type: number;
  private constructor(fd: Fd, name: string, type: number, pinPath?: string) {
    super(fd, pinPath);
    this.name = name;
    this.type = type;
  }

  /**
   * Program.load verifies and loads `spec`. It loads without a log first (fast path); on failure
   * it retries with log level 1 and a buffer grown on ENOSPC, and throws VerifierError with the log.
   */
  static load(spec: ProgramSpec, options: ProgramLoadOptions): Program {
    const attr = loadAttr(spec, options);
    const first = progLoad(attr);
    if ("fd" in first) return new Program(first.fd, spec.name, spec.type);
    let size = options.logSize ?? 256 * 1024;
    for (;;) {
      const logBuf = new Uint8Array(size);
      const r = progLoad({ ...attr, logLevel: 1, logBuf });
      const next = settle(spec, r, logBuf, first.errno, size);
      if (next instanceof Program) return next;
      size = next;
    }
  }

  /** Program.loadAsync is Program.load with verification on a worker thread, so the event loop keeps running. */
  static async loadAsync(spec: ProgramSpec, options: ProgramLoadOptions): Promise<Program> {
    const attr = loadAttr(spec, options);
    const first = await progLoadAsync(attr);
    if ("fd" in first) return new Program(first.fd, spec.name, spec.type);
    let size = options.logSize ?? 256 * 1024;
    for (;;) {
      const logBuf = new Uint8Array(size);
      const r = await progLoadAsync({ ...attr, logLevel: 1, logBuf });
      const next = settle(spec, r, logBuf, first.errno, size);
      if (next instanceof Program) return next;
      size = next;
    }
  }

  /** Program.openPinned opens the program pinned at `path`. */
  static openPinned(path: string): Program {
    const fd = objGet(path);
    try {
      const info = progInfo(fd.value);
      return new Program(fd, info.name, info.type, path);
    } catch (cause) {
      fd.close();
      throw cause;
    }
  }

  /** Program.fromFd wraps a program fd the caller hands over (e.g. from getFdById). */
  static fromFd(fd: Fd): Program {
    const info = progInfo(fd.value);
    return new Program(fd, info.name, info.type);
  }

  /** @internal used by settle() to wrap a successful load. */
  static wrap(fd: Fd, name: string, type: number): Program {
    return new Program(fd, name, type);
  }

  /** testRun runs the program on a synthetic packet (BPF_PROG_TEST_RUN); tc programs need an Ethernet frame of >= 14 bytes. */
  testRun(input: TestRunInput): TestRunOutput {
    const dataOut = new Uint8Array(input.dataSizeOut ?? input.data.byteLength + 256);
    const ctxOut = input.ctx === undefined ? undefined : new Uint8Array(input.ctx.byteLength);
    const r = progTestRun(
      {
        fd: this.fd,
        data: input.data,
        dataOut,
        ...(input.ctx === undefined ? {} : { ctxIn: input.ctx }),
        ...(ctxOut === undefined ? {} : { ctxOut }),
        ...(input.repeat === undefined ? {} : { repeat: input.repeat }),
      },
      this.name,
    );
    return {
      retval: r.retval,
      data: dataOut.slice(0, Math.min(r.dataSizeOut, dataOut.byteLength)),
      duration: r.duration,
      ...(ctxOut === undefined ? {} : { ctx: ctxOut.slice(0, r.ctxSizeOut) }),
    };
  }

  /** info reads id, tag (instruction hash), name and map ids from the kernel. */
  info(): ProgInfo {
    return progInfo(this.fd);
  }
}

function loadAttr(spec: ProgramSpec, options: ProgramLoadOptions): ProgLoadAttr {
  const withBtf = options.btfFd !== undefined;
  return {
    type: spec.type,
    instructions: patchMapReferences(spec, options.mapFds),
    license: spec.license,
    name: spec.name,
    ...(spec.attachType === undefined ? {} : { expectedAttachType: spec.attachType }),
    ...(withBtf ? { btfFd: options.btfFd } : {}),
    ...(withBtf && spec.funcInfo && spec.funcInfoRecSize
      ? { funcInfo: spec.funcInfo, funcInfoRecSize: spec.funcInfoRecSize }
      : {}),
    ...(withBtf && spec.lineInfo && spec.lineInfoRecSize
      ? { lineInfo: spec.lineInfo, lineInfoRecSize: spec.lineInfoRecSize }
      : {}),
  };
}

// Returns the loaded Program, or the next log size to try; throws when the kernel has spoken.
function settle(
  spec: ProgramSpec,
  r: ProgLoadResult,
  logBuf: Uint8Array,
  firstErrno: number,
  size: number,
): Program | number {
  if ("fd" in r) return Program.wrap(r.fd, spec.name, spec.type);
  if (r.errno === Errno.ENOSPC && size < MAX_LOG) return size * 4;
  const log = Buffer.from(logBuf)
    .toString("utf8")
    .replace(/\0[\s\S]*$/, "");
  const errno = r.errno === Errno.ENOSPC ? firstErrno : r.errno;
  const cause = errnoError(`load program "${spec.name}"`, errno);
  if (log.trim() === "") throw cause;
  throw new VerifierError(spec.name, errno, log, { cause });
}
