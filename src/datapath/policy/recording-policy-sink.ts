/**
 * RecordingPolicySink is the in-memory PolicyProgramSink of unit tests: it keeps the prog array
 * and sl_pol_endpoints as plain maps and logs every operation in order, so tests can assert the
 * swap order (slots before the entry, old slots cleared after) and which programs are still open.
 */
import type { SlPolEndpoint } from "../abi/abi.ts";
import type { PolicyChunk } from "../../policy/compile-policy.ts";
import type { LoadedProgram, PolicyProgramSink } from "./policy-programmer.ts";

export class RecordedProgram implements LoadedProgram {
  closed = false;
  constructor(
    readonly id: number,
    readonly chunk: PolicyChunk,
  ) {}
  close(): void {
    if (this.closed) throw new Error(`program ${this.id} closed twice`);
    this.closed = true;
  }
}

export class RecordingPolicySink implements PolicyProgramSink {
  readonly slots = new Map<number, RecordedProgram>();
  readonly endpoints = new Map<number, SlPolEndpoint>();
  readonly log: string[] = [];
  readonly programs: RecordedProgram[] = [];
  /** failLoad makes load throw for chunks of the named endpoint (a verifier rejection). */
  failLoad: ((chunk: PolicyChunk) => string | undefined) | undefined;

  load(chunk: PolicyChunk): LoadedProgram {
    const reason = this.failLoad?.(chunk);
    if (reason !== undefined) throw new Error(reason);
    const p = new RecordedProgram(this.programs.length + 1, chunk);
    this.programs.push(p);
    this.log.push(`load ${p.id}`);
    return p;
  }
  /** loadAsync is load a turn of the event loop later (as a kernel load on a worker would be). */
  async loadAsync(chunk: PolicyChunk): Promise<LoadedProgram> {
    await new Promise((resolve) => setImmediate(resolve));
    return this.load(chunk);
  }
  writeSlot(slot: number, program: LoadedProgram): void {
    this.slots.set(slot, program as RecordedProgram);
    this.log.push(`slot ${slot}=${(program as RecordedProgram).id}`);
  }
  clearSlot(slot: number): void {
    if (!this.slots.delete(slot)) throw new Error(`slot ${slot} cleared but empty`);
    this.log.push(`clear ${slot}`);
  }
  writeEndpoint(ifindex: number, entry: SlPolEndpoint): void {
    this.endpoints.set(ifindex, { ...entry });
    this.log.push(`endpoint ${ifindex}`);
  }
  deleteEndpoint(ifindex: number): void {
    this.endpoints.delete(ifindex);
    this.log.push(`delete ${ifindex}`);
  }
  readEndpoints(): Map<number, SlPolEndpoint> {
    return new Map([...this.endpoints].map(([k, v]) => [k, { ...v }]));
  }
  occupiedSlots(first: number, last: number): number[] {
    return [...this.slots.keys()].filter((s) => s >= first && s <= last).sort((a, b) => a - b);
  }
  openPrograms(): number {
    return this.programs.filter((p) => !p.closed).length;
  }
}
