/**
 * writeFilesAtomically: a bulk write where a reader (a watching agent) sees each file old or new,
 * never half of one, and a failure before the first rename changes nothing. Every temp file is
 * written first (dot-files in the same directory: same filesystem, and watchers skip them), then
 * flushed — each with fsync when there are few, else the whole filesystem with one syncfs, since
 * 20,000 fsyncs take most of a minute — and only then renamed into place, the directory last.
 */
import { execFileSync } from "node:child_process";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Up to this many files, each is fsynced; above, one syncfs flushes them all. */
const FSYNC_EACH_MAX = 16;

let counter = 0;

function flushFileSystem(dir: string): void {
  // coreutils `sync --file-system` is syncfs(2): Node has no binding for it.
  execFileSync("sync", ["--file-system", dir], { stdio: "ignore" });
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writeFilesAtomically writes `files` (name → text) into `dir`; throws, writing nothing, when a temp file cannot be written. */
export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, string>): void {
  if (files.size === 0) return;
  mkdirSync(dir, { recursive: true });
  const each = files.size <= FSYNC_EACH_MAX;
  const temps: { tmp: string; path: string }[] = [];
  try {
    for (const [name, text] of files) {
      const tmp = join(dir, `.${name}.${process.pid}.${++counter}.tmp`);
      temps.push({ tmp, path: join(dir, name) });
      const fd = openSync(tmp, "w", 0o644);
      try {
        writeSync(fd, text);
        if (each) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    if (!each) flushFileSystem(dir);
  } catch (err) {
    for (const { tmp } of temps) rmSync(tmp, { force: true });
    throw err;
  }
  for (const { tmp, path } of temps) renameSync(tmp, path);
  fsyncPath(dir, "r");
}
