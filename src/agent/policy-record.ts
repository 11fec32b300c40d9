/**
 * The agent's record of each policed endpoint's programs, for `sluice dump policy`: the IR each
 * hook was compiled from (with its rule ids), the sl_pol_jump slots it went to, and what each
 * rule id stands for. Rule ids are allocated by the running agent, so only it can say which rule
 * a sl_pol_hits counter belongs to; a dump that recomputed the IR from the datastore would
 * number the rules afresh. One JSON file per interface under /run/sluice/policy/<pin dir>/
 * (bpffs holds no regular files), written when that endpoint's programs change (a label change
 * writes none), removed with its entry.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { PolicyHook, RuleInfo } from "../policy/rule-ids.ts";
import type { EndpointPolicy } from "../policy/rule-ir.ts";

/** POLICY_RECORD_DIR holds one directory per agent (pin directory). */
export const POLICY_RECORD_DIR = "/run/sluice/policy";

/** PolicyRecord is one endpoint as the agent installed it. */
export interface PolicyRecord {
  readonly ifindex: number;
  readonly name: string;
  /** The calculator's endpoint key ("pod/ns/name", "hep/name"). */
  readonly key: string;
  readonly flags: number;
  /** "compiled" or "failedClosed" (every hook points at the never-written fail-closed slot). */
  readonly origin: string;
  readonly hooks: ReadonlyArray<{
    readonly hook: PolicyHook;
    /** sl_pol_jump slot of chunk 0. */
    readonly slot: number;
    readonly chunks: number;
    readonly ir?: EndpointPolicy;
  }>;
  /** What each rule id in the IRs stands for. */
  readonly rules: Readonly<Record<string, RuleInfo>>;
}

/** PolicyRecordStore is where PolicySync keeps records (files, or a map in tests). */
export interface PolicyRecordStore {
  write(record: PolicyRecord): void;
  remove(ifindex: number): void;
  /** ifindexes lists the interfaces with a record. */
  ifindexes(): number[];
}

/** policyRecordDir is the record directory of the agent whose pins are under `pinDir`. */
export function policyRecordDir(pinDir: string, dir = POLICY_RECORD_DIR): string {
  return `${dir}/${pinDir.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/** PolicyRecordFiles keeps records as files (write then rename: a reader never sees half). */
export class PolicyRecordFiles implements PolicyRecordStore {
  constructor(readonly dir: string) {}

  write(record: PolicyRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const path = `${this.dir}/${record.ifindex}.json`;
    writeFileSync(`${path}.tmp`, JSON.stringify(record));
    renameSync(`${path}.tmp`, path);
  }

  remove(ifindex: number): void {
    rmSync(`${this.dir}/${ifindex}.json`, { force: true });
  }

  ifindexes(): number[] {
    try {
      return readdirSync(this.dir)
        .filter((f) => /^\d+\.json$/.test(f))
        .map((f) => Number(f.slice(0, -5)));
    } catch {
      return [];
    }
  }
}

/** readPolicyRecords returns every record of the agent of `pinDir`, by ifindex. */
export function readPolicyRecords(pinDir: string, dir = POLICY_RECORD_DIR): PolicyRecord[] {
  const files = new PolicyRecordFiles(policyRecordDir(pinDir, dir));
  return files
    .ifindexes()
    .sort((a, b) => a - b)
    .flatMap((i) => {
      try {
        return [JSON.parse(readFileSync(`${files.dir}/${i}.json`, "utf8")) as PolicyRecord];
      } catch {
        return []; // removed between the listing and the read
      }
    });
}
