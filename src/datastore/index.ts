/**
 * Datastores: one interface, several backends. `file` is the embedded default.
 */
export type {
  Datastore,
  DatastoreEvent,
  ListFilter,
  ListResult,
  PatchType,
  Rejection,
  Watch,
  WatchOptions,
  WriteAction,
  WriteResult,
} from "./datastore.ts";
export { FileDatastore, newFileName, type FileDatastoreOptions } from "./file-datastore.ts";
export { DEFAULT_DATASTORE_DIR, resolveDatastoreDir } from "./datastore-dir.ts";
export { ResourceNotFoundError } from "./resource-not-found-error.ts";
export { applyMergePatch } from "./merge-patch.ts";
export { applyStrategicMergePatch } from "./strategic-merge-patch.ts";
export { watchEvents } from "./watch-events.ts";
