/**
 * Opcodes holds the BPF instruction encoding constants from the kernel's uapi
 * `include/uapi/linux/bpf_common.h` and `bpf.h`: the 8-bit opcode is class | size | mode for
 * loads and stores, class | op | source for ALU and jumps.
 */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Size is the access width of a load or store (`b` = 8 bits ... `dw` = 64 bits). */
export const Size = { w: 0x00, h: 0x08, b: 0x10, dw: 0x18 } as const;
/** SizeName is one key of Size. */
export type SizeName = keyof typeof Size;

/** Mode of LD/LDX/ST/STX: IMM (ld_imm64), MEM (plain access), ATOMIC (STX only). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, ATOMIC: 0xc0 } as const;

/** Source picks the second operand: K = the 32-bit immediate, X = the src register. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** AluOp is the operation nibble of ALU/ALU64 instructions. */
export const AluOp = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  neg: 0x80,
  mod: 0x90,
  xor: 0xa0,
  mov: 0xb0,
  arsh: 0xc0,
  end: 0xd0,
} as const;
/** AluOpName is one key of AluOp. */
export type AluOpName = Exclude<keyof typeof AluOp, "end">;

/** JmpOp is the operation nibble of JMP/JMP32 instructions. */
export const JmpOp = {
  ja: 0x00,
  jeq: 0x10,
  jgt: 0x20,
  jge: 0x30,
  jset: 0x40,
  jne: 0x50,
  jsgt: 0x60,
  jsge: 0x70,
  call: 0x80,
  exit: 0x90,
  jlt: 0xa0,
  jle: 0xb0,
  jslt: 0xc0,
  jsle: 0xd0,
} as const;
/** CondJmpOpName is a conditional jump (every JmpOp but ja, call, exit). */
export type CondJmpOpName = Exclude<keyof typeof JmpOp, "ja" | "call" | "exit">;

/** Endianness bit of ALU|END: TO_BE converts to big endian (a swap on little-endian hosts). */
export const Endian = { le: 0x00, be: 0x08 } as const;

/** AtomicOp is the imm of STX|ATOMIC; ADD without FETCH is the classic XADD. */
export const AtomicOp = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 } as const;

/** PseudoSrc is the src_reg of ld_imm64 that asks the kernel to substitute a map reference. */
export const PseudoSrc = { none: 0, mapFd: 1, mapValue: 2 } as const;

/** Reg numbers: r0 return value, r1-r5 arguments (clobbered by calls), r6-r9 callee-saved, r10 frame pointer. */
export const Reg = { R0: 0, R1: 1, R2: 2, R3: 3, R4: 4, R5: 5, R6: 6, R7: 7, R8: 8, R9: 9, R10: 10 } as const;
/** Register is a BPF register number 0..10. */
export type Register = (typeof Reg)[keyof typeof Reg];

/** opClass extracts the class bits of an opcode. */
export function opClass(code: number): number {
  return code & 0x07;
}
