/**
 * readCachedCollectionSpec is readCollectionSpecFile with a cache in the agent's state directory
 * (issue 10): parsing tc.o (2.3 MB: ELF, BTF, .BTF.ext, linking the subprograms) costs 0.13–0.3 s
 * of every start, a restart included, while reading back the parsed CollectionSpec with
 * v8.deserialize costs a few ms. The cache is keyed by the object's SHA-256, by the code that
 * parses it (codeIdentity of src/bpf) and by the V8 version that serialized it, so a rebuilt
 * object, a changed parser or a Node upgrade parses afresh. A missing, unreadable or mismatched
 * cache is parsed over and rewritten; a cache that cannot be written only costs the next start
 * the parse. The state dir lives on tmpfs (/run) by default, so a reboot starts without it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import v8 from "node:v8";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { loadCollectionSpec } from "../bpf/load-collection-spec.ts";
import { atomicWriteFile } from "../datastore/atomic-write.ts";
import { codeIdentity } from "../datastore/code-identity.ts";

/** SPEC_CACHE_FORMAT changes when the cache file's own layout does. */
const SPEC_CACHE_FORMAT = 1;

/** What a cache file holds: the key it was written for and the parsed spec. */
interface SpecCacheFile {
  readonly format: number;
  readonly key: string;
  readonly spec: CollectionSpec;
}

let parserIdentity: string | undefined;

/**
 * loaderIdentity is the digest of src/bpf, which parses an object and loads its programs: the
 * spec cache's key, and part of the attach record's (a loader that patches constants or maps
 * differently loads other programs from the same object).
 */
export function loaderIdentity(): string {
  parserIdentity ??= codeIdentity(undefined, ["bpf"]);
  return parserIdentity;
}

/** specCachePath is where the cache of object `objectPath` lives in `stateDir`. */
export function specCachePath(stateDir: string, objectPath: string): string {
  return join(stateDir, `spec-${basename(objectPath)}.v8`);
}

/** CachedSpec is the parsed object and whether it came from the cache. */
export interface CachedSpec {
  readonly spec: CollectionSpec;
  readonly cached: boolean;
}

/**
 * readCachedCollectionSpec reads the object at `objectPath`; with a `stateDir`, through the
 * cache described above. Throws, as readCollectionSpecFile does, when the object cannot be read
 * or parsed. `warn` hears about a cache that could not be written.
 */
export async function readCachedCollectionSpec(
  objectPath: string,
  stateDir: string | undefined,
  warn: (message: string) => void = () => {},
): Promise<CachedSpec> {
  const bytes = await readFile(objectPath);
  const parse = (): CollectionSpec => {
    try {
      return loadCollectionSpec(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new Error(
        `read collection spec "${objectPath}": ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  };
  if (stateDir === undefined) return { spec: parse(), cached: false };
  const path = specCachePath(stateDir, objectPath);
  const key = `${createHash("sha256").update(bytes).digest("hex")}+${loaderIdentity()}+v8-${process.versions.v8}`;
  const hit = await readFile(path).then(
    (b) => {
      try {
        const f = v8.deserialize(b) as Partial<SpecCacheFile> | undefined;
        return f?.format === SPEC_CACHE_FORMAT && f.key === key && f.spec !== undefined ? f.spec : undefined;
      } catch {
        return undefined; // a torn or foreign file: parse again
      }
    },
    () => undefined,
  );
  if (hit !== undefined) return { spec: hit, cached: true };
  const spec = parse();
  try {
    const file: SpecCacheFile = { format: SPEC_CACHE_FORMAT, key, spec };
    atomicWriteFile(path, v8.serialize(file));
  } catch (err) {
    warn(`write the parsed-object cache ${path}: ${(err as Error).message}`);
  }
  return { spec, cached: false };
}
