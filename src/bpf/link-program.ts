import type { BtfExtInfo } from "./btf/parse-btf-ext.ts";
import type { MapRelocation } from "./program-spec.ts";
import type { BpfFunction } from "./read-functions.ts";

const insnSize = 8;

/** LinkedProgram is one entry function with every function it reaches appended after it. */
export interface LinkedProgram {
  readonly instructions: Uint8Array;
  readonly mapRelocations: readonly MapRelocation[];
  /** Function names in placement order: the entry first, then subprograms each once. */
  readonly functions: readonly string[];
  readonly funcInfo?: Uint8Array;
  readonly lineInfo?: Uint8Array;
}

/**
 * linkProgram lays out `entry` followed by every function it calls, transitively and each once
 * (breadth first), then rewrites each call's imm to the distance to its target. The kernel
 * wants func_info/line_info insn_off in instructions from the program start, while .BTF.ext
 * stores bytes from the section start; both are translated here.
 */
export function linkProgram(
  entry: BpfFunction,
  functions: ReadonlyMap<string, BpfFunction>,
  ext?: { readonly funcInfo: BtfExtInfo; readonly lineInfo: BtfExtInfo },
): LinkedProgram {
  const order: BpfFunction[] = [entry];
  const start = new Map<string, number>([[entry.key, 0]]);
  let total = entry.instructions.byteLength / insnSize;
  for (let i = 0; i < order.length; i++) {
    const f = order[i]!;
    for (const ref of f.refs) {
      if (start.has(ref.target)) continue;
      const target = functions.get(ref.target);
      if (target === undefined) {
        throw new Error(
          `link program "${entry.name}": function "${f.name}" instruction ${ref.insn} calls no known function (${ref.target})`,
        );
      }
      start.set(target.key, total);
      total += target.instructions.byteLength / insnSize;
      order.push(target);
    }
  }

  const instructions = new Uint8Array(total * insnSize);
  const view = new DataView(instructions.buffer, instructions.byteOffset, instructions.byteLength);
  const mapRelocations: MapRelocation[] = [];
  for (const f of order) {
    const base = start.get(f.key)!;
    instructions.set(f.instructions, base * insnSize);
    for (const ref of f.refs) {
      const at = base + ref.insn;
      view.setInt32(at * insnSize + 4, start.get(ref.target)! - (at + 1), true);
    }
    for (const m of f.mapRefs) {
      mapRelocations.push({
        insn: base + m.insn,
        map: m.map,
        ...(m.valueOffset === undefined ? {} : { valueOffset: m.valueOffset }),
      });
    }
  }

  const out: LinkedProgram = { instructions, mapRelocations, functions: order.map((f) => f.name) };
  if (ext === undefined) return out;
  const funcInfo = translate(order, start, ext.funcInfo);
  const lineInfo = translate(order, start, ext.lineInfo);
  return {
    ...out,
    ...(funcInfo === undefined ? {} : { funcInfo }),
    ...(lineInfo === undefined ? {} : { lineInfo }),
  };
}

function translate(
  order: readonly BpfFunction[],
  start: ReadonlyMap<string, number>,
  info: BtfExtInfo,
): Uint8Array | undefined {
  const chunks: Uint8Array[] = [];
  for (const f of order) {
    const base = start.get(f.key)!;
    const end = f.byteOffset + f.instructions.byteLength;
    for (const rec of info.sections.get(f.section) ?? []) {
      if (rec.byteOffset < f.byteOffset || rec.byteOffset >= end) continue;
      const copy = rec.raw.slice();
      new DataView(copy.buffer, copy.byteOffset, copy.byteLength).setUint32(
        0,
        base + (rec.byteOffset - f.byteOffset) / insnSize,
        true,
      );
      chunks.push(copy);
    }
  }
  if (chunks.length === 0) return undefined;
  const out = new Uint8Array(chunks.length * info.recordSize);
  chunks.forEach((c, i) => out.set(c, i * info.recordSize));
  return out;
}
