/**
 * KernelPolicySink is the PolicyProgramSink on the kernel: chunks are verified with
 * Program.load, or Program.loadAsync on a libuv worker for PolicyProgrammer.prepare (their maps
 * relocated by name through mapFds, as the policy harness does), slots
 * are sl_pol_jump entries (a program fd written, the kernel keeps a reference), endpoints are
 * sl_pol_endpoints entries. Parametric on the prog array so an XDP array can use it too.
 */
import { Program } from "../../bpf/program.ts";
import { decodeSlPolEndpoint, encodeSlPolEndpoint, type SlPolEndpoint } from "../abi/abi.ts";
import type { PolicyChunk } from "../../policy/compile-policy.ts";
import type { RawMap } from "../maps/raw-map.ts";
import { occupiedSlots } from "./occupied-slots.ts";
import type { LoadedProgram, PolicyProgramSink } from "./policy-programmer.ts";

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

export class KernelPolicySink implements PolicyProgramSink {
  #createdEmpty: boolean;
  readonly #programs: (() => ReadonlySet<number>) | undefined;

  /**
   * @param options.createdEmpty the prog array was created by this opening of the maps (not
   *   adopted from a pin), so it holds no program yet: the first occupiedSlots answers without
   *   probing every slot (~15k lookups per array, ~35–50 ms each at a cold start here).
   * @param options.programs the ids of every program the kernel holds that could be in this
   *   array (its type, named sl_pol_*): the probe of an adopted array stops once it met them all
   *   (occupied-slots.ts).
   */
  constructor(
    readonly jump: RawMap,
    readonly endpoints: RawMap,
    readonly mapFds: ReadonlyMap<string, number>,
    options: { readonly createdEmpty?: boolean; readonly programs?: () => ReadonlySet<number> } = {},
  ) {
    this.#createdEmpty = options.createdEmpty === true;
    this.#programs = options.programs;
  }

  load(chunk: PolicyChunk): LoadedProgram {
    return Program.load(chunk.spec, { mapFds: this.mapFds });
  }

  loadAsync(chunk: PolicyChunk): Promise<LoadedProgram> {
    return Program.loadAsync(chunk.spec, { mapFds: this.mapFds });
  }

  writeSlot(slot: number, program: LoadedProgram): void {
    if (!(program instanceof Program)) throw new Error(`slot ${slot}: not a kernel program`);
    this.jump.update(u32(slot), u32(program.fd));
  }

  clearSlot(slot: number): void {
    this.jump.delete(u32(slot));
  }

  writeEndpoint(ifindex: number, entry: SlPolEndpoint): void {
    this.endpoints.update(u32(ifindex), encodeSlPolEndpoint(entry));
  }

  deleteEndpoint(ifindex: number): void {
    this.endpoints.delete(u32(ifindex));
  }

  readEndpoints(): Map<number, SlPolEndpoint> {
    const out = new Map<number, SlPolEndpoint>();
    for (const [k, v] of this.endpoints.entries())
      out.set(new DataView(k.buffer, k.byteOffset).getUint32(0, true), decodeSlPolEndpoint(v));
    return out;
  }

  // A prog array answers a lookup from user space with the program's id, or ENOENT when empty.
  occupiedSlots(first: number, last: number): number[] {
    // Only the first question: slots this sink writes afterwards are not empty any more.
    if (this.#createdEmpty) {
      this.#createdEmpty = false;
      return [];
    }
    const jump = this.jump;
    if (jump.scanU32 !== undefined)
      return occupiedSlots((visit) => jump.scanU32!(first, last, visit), this.#programs?.());
    const out: number[] = [];
    for (let slot = first; slot <= last; slot++) if (this.jump.get(u32(slot)) !== undefined) out.push(slot);
    return out;
  }
}
