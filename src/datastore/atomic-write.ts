/**
 * atomicWriteFile: readers (a watching agent) see the old file or the new one, never half of
 * one. The temp file is a dot-file in the same directory (same filesystem, so rename is atomic;
 * a dot-file, so watchers skip it) and is flushed before the rename.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** atomicWriteFile replaces `path` with `text` (or bytes) in one rename. */
export function atomicWriteFile(path: string, text: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  atomicWriteFileAs(path, join(dir, `.${basename(path)}.${process.pid}.${++counter}.tmp`), text);
}

/** atomicWriteFileAs is atomicWriteFile through the temp file `tmp` (same directory as `path`). */
export function atomicWriteFileAs(path: string, tmp: string, text: string | Uint8Array): void {
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
