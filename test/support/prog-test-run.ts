/**
 * Running one packet through a loaded program with BPF_PROG_TEST_RUN and reading the answer
 * back as a verdict name and a parsed packet. Written against a minimal `TestRunnable` rather
 * than src/bpf/program.ts so the harness does not depend on the loader it helps test.
 * Needs root (CAP_BPF + CAP_NET_ADMIN) only because loading the program does.
 */
import { parsePacket } from "../packet/parse-packet.ts";
import type { ParsedPacket } from "../packet/parsed-packet.ts";
import { buildSkbCtx, parseSkbCtx } from "./skb-ctx.ts";
import type { SkbCtx, SkbCtxFields } from "./skb-ctx.ts";

/** TestRunOptions mirrors the loader's test-run input: packet, optional ctx_in, repeat, data_size_out. */
export interface TestRunOptions {
  data: Uint8Array;
  ctx?: Uint8Array;
  repeat?: number;
  dataSizeOut?: number;
}

/** TestRunResult mirrors the loader's test-run output: retval, data_out, mean duration (ns), ctx_out. */
export interface TestRunResult {
  retval: number;
  data: Uint8Array;
  duration: number;
  ctx?: Uint8Array;
}

/** TestRunnable is the slice of the loader's program object the harness needs; sync or async both fit. */
export interface TestRunnable {
  testRun(options: TestRunOptions): TestRunResult | Promise<TestRunResult>;
}

/** TcAction holds tc verdicts (linux/pkt_cls.h TC_ACT_*). */
export const TcAction = {
  UNSPEC: -1,
  OK: 0,
  RECLASSIFY: 1,
  SHOT: 2,
  PIPE: 3,
  STOLEN: 4,
  QUEUED: 5,
  REPEAT: 6,
  REDIRECT: 7,
  TRAP: 8,
} as const;
/** TcActionName is "OK", "SHOT", ... */
export type TcActionName = keyof typeof TcAction;

/** XdpAction holds XDP verdicts (linux/bpf.h enum xdp_action). */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
/** XdpActionName is "ABORTED", "DROP", ... */
export type XdpActionName = keyof typeof XdpAction;

/** ProgramKind picks the verdict table: the same retval means different things to tc and XDP. */
export type ProgramKind = "tc" | "xdp";

/** verdictName names a retval for `kind`, or "UNKNOWN(<n>)" so a surprise value is still readable. */
export function verdictName(kind: ProgramKind, retval: number): string {
  const table: Record<string, number> = kind === "tc" ? TcAction : XdpAction;
  // retval arrives as u32 from the kernel; TC_ACT_UNSPEC is -1.
  const signed = retval | 0;
  for (const [name, n] of Object.entries(table)) if (n === signed) return name;
  return `UNKNOWN(${signed})`;
}

/** RunPacketOptions are the knobs for one run; `ctx` is only meaningful for tc (skb) programs. */
export interface RunPacketOptions {
  kind?: ProgramKind;
  ctx?: SkbCtxFields | Uint8Array;
  repeat?: number;
  /** Room for the output packet; defaults to input + 256 bytes so encapsulation (+50) fits. */
  dataSizeOut?: number;
}

/** PacketRun is one run's outcome: raw and named verdict, output bytes and their parse. */
export interface PacketRun {
  retval: number;
  verdict: string;
  data: Uint8Array;
  packet: ParsedPacket;
  duration: number;
  ctx?: SkbCtx;
}

/**
 * runPacket feeds `bytes` to `prog` once (or `repeat` times) and parses what comes back. When
 * `ctx` fields are given without `wireLen`, wire_len is set to the packet length, because older
 * kernels reject a wire_len below the data length, 0 included.
 */
export async function runPacket(
  prog: TestRunnable,
  bytes: Uint8Array,
  options: RunPacketOptions = {},
): Promise<PacketRun> {
  const kind = options.kind ?? "tc";
  const run: TestRunOptions = { data: bytes, dataSizeOut: options.dataSizeOut ?? bytes.length + 256 };
  if (options.repeat !== undefined) run.repeat = options.repeat;
  if (options.ctx !== undefined) {
    run.ctx =
      options.ctx instanceof Uint8Array
        ? options.ctx
        : buildSkbCtx({ wireLen: bytes.length, ...options.ctx });
  }
  const r = await prog.testRun(run);
  const out: PacketRun = {
    retval: r.retval,
    verdict: verdictName(kind, r.retval),
    data: r.data,
    packet: parsePacket(r.data),
    duration: r.duration,
  };
  if (r.ctx !== undefined && kind === "tc") out.ctx = parseSkbCtx(r.ctx);
  return out;
}
