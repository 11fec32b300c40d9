/**
 * ManifestDirectory reads a datastore directory: every `*.yaml`/`*.yml` file at its top level
 * (dot-files are skipped: they are other writers' temp files), parsed and validated. Files whose
 * size, mtime and inode did not change since the last read are not parsed again, so the periodic
 * rescan costs one stat per file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ValidationOptions } from "../model/validation-options.ts";
import type { FileDocuments } from "./datastore-state.ts";
import { parseManifestDocuments, type ManifestDocument } from "./manifest-documents.ts";

interface CacheEntry {
  readonly stamp: string;
  readonly text: string;
  readonly docs: readonly ManifestDocument[];
}

/** isManifestFile tells whether a directory entry is one the datastore reads. */
export function isManifestFile(name: string): boolean {
  return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
}

/** ManifestDirectory is a cached reader of one directory's manifests. */
export class ManifestDirectory {
  readonly #cache = new Map<string, CacheEntry>();

  constructor(
    readonly dir: string,
    readonly options: ValidationOptions = {},
  ) {}

  /** read returns every manifest file's documents, in file-name order; a missing directory is empty. */
  read(): FileDocuments[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter(isManifestFile).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        this.#cache.clear();
        return [];
      }
      throw err;
    }
    const out: FileDocuments[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      const entry = this.#load(name);
      if (entry === undefined) continue;
      seen.add(name);
      out.push({ file: name, docs: entry.docs });
    }
    for (const name of this.#cache.keys()) if (!seen.has(name)) this.#cache.delete(name);
    return out;
  }

  /** text returns a file's content as last read (what the documents were parsed from). */
  text(file: string): string | undefined {
    return this.#cache.get(file)?.text;
  }

  #load(name: string): CacheEntry | undefined {
    const path = join(this.dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) return undefined;
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      const cached = this.#cache.get(name);
      if (cached?.stamp === stamp) return cached;
      const text = readFileSync(path, "utf8");
      const entry = { stamp, text, docs: parseManifestDocuments(text, name, this.options) };
      this.#cache.set(name, entry);
      return entry;
    } catch (err) {
      // Deleted between readdir and stat: it is simply gone.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }
}
