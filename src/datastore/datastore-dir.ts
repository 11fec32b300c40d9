/**
 * resolveDatastoreDir: where the file datastore lives — the `--datastore` flag, else the
 * SLUICE_DATASTORE environment variable (the lab sets it), else /etc/sluice/datastore.
 */

/** DEFAULT_DATASTORE_DIR is the file datastore's directory when nothing else is configured. */
export const DEFAULT_DATASTORE_DIR = "/etc/sluice/datastore";

/** resolveDatastoreDir picks the directory; `env` is injectable for tests. */
export function resolveDatastoreDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== "") return flag;
  const fromEnv = env["SLUICE_DATASTORE"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_DATASTORE_DIR;
}
