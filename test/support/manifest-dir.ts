/**
 * Fixtures for the file datastore's tests: a Service manifest as YAML text, and a throwaway
 * directory for a test body (removed afterwards, pass or fail).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** serviceYaml is a minimal Service manifest named `name` with one port. */
export const serviceYaml = (name: string, port: number): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: ${port}\n`;

/** withTempDir runs `body` in a fresh directory under the system temp dir (`prefix` names it). */
export const withTempDir =
  (prefix: string, body: (dir: string) => Promise<void> | void) => async (): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
