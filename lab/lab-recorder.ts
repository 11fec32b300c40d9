/**
 * LabRecorder owns a lab's state and its state file: every namespace, pin dir, datastore file
 * and process is recorded (and the file rewritten) before or as it is created, so whatever
 * happens next, `down` or the next `up` knows exactly what to remove.
 */
import { createNetns } from "../src/kernel/netns.ts";
import { makePinDir } from "../src/kernel/bpffs.ts";
import { writeLabState } from "./lab-state.ts";
import type { LabProcessRecord, LabState } from "./lab-state.ts";

/** LabRecorder wraps the mutable LabState with record-then-create operations. */
export class LabRecorder {
  #closed = false;
  constructor(readonly state: LabState) {}

  /** save rewrites the state file; a no-op once the lab is torn down (the file is gone on purpose). */
  save(): void {
    if (!this.#closed) writeLabState(this.state.plan.stateFile, this.state);
  }

  /** close stops further saves. */
  close(): void {
    this.#closed = true;
  }

  /** createNetns records a namespace, then creates it: a crash in between leaves a record of a name that may not exist, never the reverse. */
  createNetns(name: string): void {
    if (!this.state.namespaces.includes(name)) this.state.namespaces.push(name);
    this.save();
    createNetns(name);
  }

  /** forgetNetns drops a deleted namespace from the record. */
  forgetNetns(name: string): void {
    this.state.namespaces = this.state.namespaces.filter((n) => n !== name);
    this.save();
  }

  /** makePinDir records a pin directory, then creates it inside bpffs. */
  makePinDir(dir: string): void {
    if (!this.state.pinDirs.includes(dir)) this.state.pinDirs.push(dir);
    this.save();
    makePinDir(dir);
  }

  /** addDatastoreFile records a datastore file the lab wrote. */
  addDatastoreFile(file: string): void {
    if (!this.state.datastoreFiles.includes(file)) this.state.datastoreFiles.push(file);
    this.save();
  }

  /** removeDatastoreFile drops a datastore file from the record. */
  removeDatastoreFile(file: string): void {
    this.state.datastoreFiles = this.state.datastoreFiles.filter((f) => f !== file);
    this.save();
  }

  /** addProcess records a process the lab started. */
  addProcess(record: LabProcessRecord): void {
    this.state.processes.push(record);
    this.save();
  }

  /** removeProcess drops an exited process from the record. */
  removeProcess(pid: number): void {
    this.state.processes = this.state.processes.filter((p) => p.pid !== pid);
    this.save();
  }
}
