/**
 * openDatastore: the one place a DatastoreLocation becomes a backend, so the CLI and the agent
 * open `file`, `kubernetes` and `etcd` the same way.
 */
import type { Datastore } from "./datastore.ts";
import type { DatastoreLocation } from "./datastore-location.ts";
import { FileDatastore } from "./file-datastore.ts";

/** openDatastore opens the backend `location` names. */
export async function openDatastore(location: DatastoreLocation): Promise<Datastore> {
  switch (location.type) {
    case "file":
      return new FileDatastore(location.dir);
    case "kubernetes":
      throw new Error("open kubernetes datastore: not built in yet");
    case "etcd":
      throw new Error("open etcd datastore: not built in yet");
  }
}
