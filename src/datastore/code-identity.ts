/**
 * codeIdentity is a digest of the source that decides what a restart snapshot means — how
 * manifests validate (src/model), how the datastore indexes them (src/datastore), and how a
 * Service becomes NAT entries (src/calc, src/proxy). Snapshots record it beside the package
 * version, so an upgrade that changes any of it (the version alone may stay the same between
 * builds) makes the next start read and compute everything afresh instead of trusting results
 * the new code would not give. Test files are left out: they do not run in the agent.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("..", import.meta.url));
/** The source directories (under src/) a snapshot's meaning depends on. */
export const SNAPSHOT_CODE_DIRS = ["model", "datastore", "calc", "proxy"] as const;

function sourceFiles(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(p);
  }
}

/** codeIdentity hashes every non-test .ts file under `dirs` of `root` (path and content, in path order). */
export function codeIdentity(root: string = SRC, dirs: readonly string[] = SNAPSHOT_CODE_DIRS): string {
  const files: string[] = [];
  for (const d of dirs) sourceFiles(join(root, d), files);
  const hash = createHash("sha256");
  for (const f of files.map((f) => relative(root, f)).sort()) {
    hash
      .update(f)
      .update("\0")
      .update(readFileSync(join(root, f)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}
