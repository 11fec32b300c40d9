import { readFile } from "node:fs/promises";
import type { CollectionSpec } from "./collection-spec.ts";
import { loadCollectionSpec } from "./load-collection-spec.ts";

/** readCollectionSpecFile reads an object file from disk and parses it with loadCollectionSpec. */
export async function readCollectionSpecFile(path: string): Promise<CollectionSpec> {
  const bytes = await readFile(path);
  try {
    return loadCollectionSpec(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new Error(`read collection spec "${path}": ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
