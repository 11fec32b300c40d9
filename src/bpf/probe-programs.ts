/**
 * Tiny hand-encoded programs for feature probes: no clang at runtime, and nothing the verifier
 * could reject for reasons other than the feature being probed.
 */
import { progLoad } from "../kernel/bpf-prog.ts";
import type { Fd } from "../kernel/fd.ts";

/** insn encodes one 8-byte BPF instruction (little-endian, as on x86-64/arm64). */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}

const ALU64_MOV_K = 0xb7;
const JMP_CALL = 0x85;
const JMP_EXIT = 0x95;

/** returnImm is `r0 = imm; exit`. */
export function returnImm(imm: number): Uint8Array {
  return concat([insn(ALU64_MOV_K, 0, 0, 0, imm), insn(JMP_EXIT, 0, 0, 0, 0)]);
}

/** callHelper is `call helper; r0 = 0; exit` (arguments left as the verifier finds them). */
export function callHelper(helper: number): Uint8Array {
  return concat([insn(JMP_CALL, 0, 0, 0, helper), insn(ALU64_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0)]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** ProbeLoad is a loaded probe program, or the errno and verifier log of its rejection. */
export type ProbeLoad = { readonly fd: Fd } | { readonly errno: number; readonly log: string };

/** loadProbe loads instructions with a verifier log, so a rejection can be told apart from a missing feature. */
export function loadProbe(type: number, instructions: Uint8Array, expectedAttachType?: number): ProbeLoad {
  const logBuf = new Uint8Array(64 * 1024);
  const r = progLoad({
    type,
    instructions,
    license: "GPL",
    name: "sl_probe",
    logLevel: 1,
    logBuf,
    ...(expectedAttachType === undefined ? {} : { expectedAttachType }),
  });
  if ("fd" in r) return r;
  return {
    errno: r.errno,
    log: Buffer.from(logBuf)
      .toString("utf8")
      .replace(/\0[\s\S]*$/, ""),
  };
}
