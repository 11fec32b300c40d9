/**
 * FlowFileWriter appends flow records as JSON lines to `<directory>/flows.log` and rotates it as
 * flowLogsFileMaxFileSizeMB / flowLogsFileMaxFiles say: when a write would pass the size, the file
 * becomes flows.log.1 (older ones shift up) and the oldest beyond maxFiles is removed. Synchronous
 * and small: a flush writes one batch per interval.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FlowRecord } from "./flow-record.ts";

/** FlowFileWriterOptions are the file settings of FelixConfiguration. */
export interface FlowFileWriterOptions {
  readonly directory: string;
  /** Files kept, the current one included (≥ 1). */
  readonly maxFiles: number;
  readonly maxFileSizeBytes: number;
}

/** FLOW_LOG_FILE is the current file's name. */
export const FLOW_LOG_FILE = "flows.log";

export class FlowFileWriter {
  readonly #o: FlowFileWriterOptions;
  readonly #path: string;
  #size: number;

  constructor(options: FlowFileWriterOptions) {
    if (options.maxFiles < 1)
      throw new RangeError(`write flow logs: maxFiles ${options.maxFiles} is below 1`);
    this.#o = options;
    try {
      mkdirSync(options.directory, { recursive: true });
    } catch (e) {
      throw new Error(`write flow logs: create directory "${options.directory}": ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.#path = join(options.directory, FLOW_LOG_FILE);
    this.#size = existsSync(this.#path) ? statSync(this.#path).size : 0;
  }

  /** write appends the records, one JSON object per line, rotating before a line that would not fit. */
  write(records: readonly FlowRecord[]): void {
    for (const r of records) {
      const line = `${JSON.stringify(r)}\n`;
      const n = Buffer.byteLength(line);
      if (this.#size > 0 && this.#size + n > this.#o.maxFileSizeBytes) this.#rotate();
      appendFileSync(this.#path, line);
      this.#size += n;
    }
  }

  #rotate(): void {
    const keep = this.#o.maxFiles;
    // flows.log.(keep-1) is the oldest kept; anything at or past it goes
    rmSync(`${this.#path}.${keep - 1}`, { force: true });
    for (let i = keep - 2; i >= 1; i--) {
      if (existsSync(`${this.#path}.${i}`)) renameSync(`${this.#path}.${i}`, `${this.#path}.${i + 1}`);
    }
    if (keep > 1) renameSync(this.#path, `${this.#path}.1`);
    else rmSync(this.#path, { force: true });
    this.#size = 0;
  }
}
