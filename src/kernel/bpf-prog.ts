/**
 * bpf(2) program and BTF commands: BPF_PROG_LOAD (sync and on a worker), BPF_PROG_TEST_RUN and
 * BPF_BTF_LOAD. The retry-with-log policy lives in src/bpf/program.ts; this file only issues calls.
 */
import { BpfAttr, BpfCommand, bpfSyscall, bpfTry, bpfTryAsync } from "./bpf.ts";
import { Errno, errnoError } from "./errno.ts";
import { Fd } from "./fd.ts";

/** ProgLoadAttr is what BPF_PROG_LOAD needs. Log fields are only sent when logLevel > 0. */
export interface ProgLoadAttr {
  readonly type: number;
  readonly instructions: Uint8Array;
  readonly license: string;
  readonly name: string;
  readonly expectedAttachType?: number;
  readonly btfFd?: number;
  readonly funcInfo?: Uint8Array;
  readonly funcInfoRecSize?: number;
  readonly lineInfo?: Uint8Array;
  readonly lineInfoRecSize?: number;
  readonly logLevel?: number;
  /** Receives the verifier log; its length is the log size. */
  readonly logBuf?: Uint8Array;
}

/** ProgLoadResult is an fd, or the errno of a rejected load (the caller decides whether to retry with a log). */
export type ProgLoadResult = { readonly fd: Fd } | { readonly errno: number };

function progLoadAttr(p: ProgLoadAttr): BpfAttr {
  const attr = new BpfAttr()
    .u32(0, p.type)
    .u32(4, p.instructions.byteLength / 8)
    .ptr(8, p.instructions)
    .cstr(16, p.license)
    .name(48, p.name)
    .u32(68, p.expectedAttachType ?? 0);
  const level = p.logLevel ?? 0;
  if (level > 0 && p.logBuf !== undefined) {
    attr.u32(24, level).u32(28, p.logBuf.byteLength).ptr(32, p.logBuf);
  }
  if (p.btfFd !== undefined) {
    attr.u32(72, p.btfFd);
    if (p.funcInfo !== undefined && p.funcInfoRecSize) {
      attr
        .u32(76, p.funcInfoRecSize)
        .ptr(80, p.funcInfo)
        .u32(88, p.funcInfo.byteLength / p.funcInfoRecSize);
    }
    if (p.lineInfo !== undefined && p.lineInfoRecSize) {
      attr
        .u32(92, p.lineInfoRecSize)
        .ptr(96, p.lineInfo)
        .u32(104, p.lineInfo.byteLength / p.lineInfoRecSize);
    }
  }
  return attr;
}

function toResult(r: number): ProgLoadResult {
  return r < 0 ? { errno: -r } : { fd: new Fd(r) };
}

// The verifier gives up with EAGAIN when a signal is pending on the loading thread (do_check():
// signal_pending), e.g. SIGPROF under --cpu-prof or a child's SIGCHLD; libbpf retries 5 times too.
const LOAD_ATTEMPTS = 5;

/** progLoad issues BPF_PROG_LOAD on the calling thread (again when a signal interrupted the verifier). */
export function progLoad(p: ProgLoadAttr): ProgLoadResult {
  const attr = progLoadAttr(p);
  let r = bpfTry(BpfCommand.ProgLoad, attr);
  for (let i = 1; i < LOAD_ATTEMPTS && r === -Errno.EAGAIN; i++) r = bpfTry(BpfCommand.ProgLoad, attr);
  return toResult(r);
}

/** progLoadAsync issues BPF_PROG_LOAD on a libuv worker: verification of a big program takes milliseconds to seconds. */
export async function progLoadAsync(p: ProgLoadAttr): Promise<ProgLoadResult> {
  const attr = progLoadAttr(p);
  let r = await bpfTryAsync(BpfCommand.ProgLoad, attr);
  for (let i = 1; i < LOAD_ATTEMPTS && r === -Errno.EAGAIN; i++)
    r = await bpfTryAsync(BpfCommand.ProgLoad, attr);
  return toResult(r);
}

/** TestRunAttr is one BPF_PROG_TEST_RUN: input packet, optional context, output buffers. */
export interface TestRunAttr {
  readonly fd: number;
  readonly data: Uint8Array;
  readonly dataOut?: Uint8Array;
  readonly ctxIn?: Uint8Array;
  readonly ctxOut?: Uint8Array;
  readonly repeat?: number;
  readonly flags?: number;
}

/** TestRunResult is the program's return value, run time per repeat, and output sizes. */
export interface TestRunResult {
  readonly retval: number;
  readonly duration: number;
  readonly dataSizeOut: number;
  readonly ctxSizeOut: number;
}

/** progTestRun runs a loaded program once (or `repeat` times) on a synthetic input. */
export function progTestRun(t: TestRunAttr, name: string): TestRunResult {
  const attr = new BpfAttr()
    .u32(0, t.fd)
    .u32(8, t.data.byteLength)
    .u32(12, t.dataOut?.byteLength ?? 0)
    .ptr(16, t.data)
    .ptr(24, t.dataOut)
    .u32(32, t.repeat ?? 0)
    .u32(40, t.ctxIn?.byteLength ?? 0)
    .u32(44, t.ctxOut?.byteLength ?? 0)
    .ptr(48, t.ctxIn)
    .ptr(56, t.ctxOut)
    .u32(64, t.flags ?? 0);
  // No `feature` here: EINVAL from test_run almost always means the input was refused (a frame
  // shorter than the headers the kernel pre-parses, a ctx field test_run does not accept), not a
  // missing feature; ENOTSUPP for a program type comes through as its own errno.
  bpfSyscall(BpfCommand.ProgTestRun, attr, `test run program "${name}"`, {
    detail: `data ${t.data.byteLength} bytes, ctx ${t.ctxIn?.byteLength ?? 0} bytes`,
  });
  return {
    retval: attr.readU32(4),
    dataSizeOut: attr.readU32(12),
    duration: attr.readU32(36),
    ctxSizeOut: attr.readU32(44),
  };
}

/** btfLoad issues BPF_BTF_LOAD; on failure with a log buffer the kernel's BTF log is in the error detail. */
export function btfLoad(btf: Uint8Array, logBuf?: Uint8Array): Fd {
  const attr = new BpfAttr().ptr(0, btf).u32(16, btf.byteLength);
  if (logBuf !== undefined) attr.ptr(8, logBuf).u32(20, logBuf.byteLength).u32(24, 1);
  const r = bpfTry(BpfCommand.BtfLoad, attr);
  if (r >= 0) return new Fd(r);
  const log =
    logBuf === undefined
      ? ""
      : Buffer.from(logBuf)
          .toString("utf8")
          .replace(/\0[\s\S]*$/, "")
          .trim();
  throw errnoError("load btf", -r, {
    feature: { name: "BTF", minKernel: "5.2" },
    ...(log ? { detail: log.split("\n").slice(-3).join(" | ") } : {}),
  });
}
