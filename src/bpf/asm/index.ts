/** The BPF assembler: encode with labels and symbolic maps, call helpers by name, disassemble. */
export { Assembler, type AssembledProgram } from "./assembler.ts";
export { disassemble, type DisassembleOptions } from "./disassemble.ts";
export { HelperId, helperName, type HelperName } from "./helper-id.ts";
export { AluOp, AtomicOp, Class, Endian, JmpOp, Mode, PseudoSrc, Reg, Size, Source } from "./opcodes.ts";
export type { AluOpName, CondJmpOpName, Register, SizeName } from "./opcodes.ts";
