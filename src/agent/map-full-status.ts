/**
 * The agent's record of Services kept out of full NAT maps, for `sluice dump counters`: a JSON
 * file under /run/sluice/map-full/ named after the pin directory (bpffs holds no regular files,
 * and the CLI knows the pin directory as the agent does). Written on every sync that changes it;
 * no file when every Service fits, so an agent that never fills a map leaves nothing there (every
 * agent once wrote "[]": 776 files of it in one machine's /run after two days of test runs).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { NotProgrammed } from "../calc/admit-services.ts";

/** MAP_FULL_STATUS_DIR holds one status file per agent (pin directory). */
export const MAP_FULL_STATUS_DIR = "/run/sluice/map-full";

/** mapFullStatusPath is the status file of the agent whose pins are under `pinDir`. */
export function mapFullStatusPath(pinDir: string, dir = MAP_FULL_STATUS_DIR): string {
  return `${dir}/${pinDir.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
}

/**
 * writeMapFullStatus records `now` for `pinDir` (write then rename: a reader never sees half);
 * nothing kept out removes the record.
 */
export function writeMapFullStatus(
  pinDir: string,
  now: readonly NotProgrammed[],
  dir = MAP_FULL_STATUS_DIR,
): void {
  const path = mapFullStatusPath(pinDir, dir);
  if (now.length === 0) return rmSync(path, { force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(now));
  renameSync(`${path}.tmp`, path);
}

/** readMapFullStatus returns what the agent of `pinDir` recorded, or undefined when it recorded nothing. */
export function readMapFullStatus(pinDir: string, dir = MAP_FULL_STATUS_DIR): NotProgrammed[] | undefined {
  try {
    return JSON.parse(readFileSync(mapFullStatusPath(pinDir, dir), "utf8")) as NotProgrammed[];
  } catch {
    return undefined;
  }
}
