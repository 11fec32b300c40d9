/**
 * openDatastore: the one place a DatastoreLocation becomes a backend, so the CLI and the agent
 * open `file`, `kubernetes` and `etcd` the same way. The kubernetes and etcd clients are loaded
 * only when used: they are large, and every `sluice` command would otherwise pay for them.
 */
import type { Datastore } from "./datastore.ts";
import type { DatastoreLocation } from "./datastore-location.ts";
import { FileDatastore } from "./file-datastore.ts";
import type { IndexSnapshotOptions } from "./index-snapshot.ts";

/** OpenOptions: where a backend's debug lines go (the agent's logger). */
export interface OpenOptions {
  readonly debug?: (message: string) => void;
  /** A read-only hint: only these kinds will be read (the file backend then skips the rest). */
  readonly onlyKinds?: readonly string[];
  /** The file backend's index snapshot (FileDatastoreOptions.snapshot): the agent's restart. */
  readonly snapshot?: IndexSnapshotOptions;
}

/** openDatastore opens the backend `location` names. */
export async function openDatastore(
  location: DatastoreLocation,
  options: OpenOptions = {},
): Promise<Datastore> {
  const debug = options.debug ? { debug: options.debug } : {};
  switch (location.type) {
    case "file":
      return new FileDatastore(location.dir, {
        ...(options.onlyKinds === undefined ? {} : { onlyKinds: options.onlyKinds }),
        ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
      });
    case "kubernetes": {
      const [{ loadKubeConfig }, { KubernetesDatastore }] = await Promise.all([
        import("./kubernetes/kube-connection.ts"),
        import("./kubernetes/kubernetes-datastore.ts"),
      ]);
      const target = {
        ...(location.kubeconfig !== undefined ? { kubeconfig: location.kubeconfig } : {}),
        ...(location.context !== undefined ? { context: location.context } : {}),
      };
      return new KubernetesDatastore(loadKubeConfig(target), debug);
    }
    case "etcd": {
      const { EtcdDatastore } = await import("./etcd/etcd-datastore.ts");
      return new EtcdDatastore({ endpoints: location.endpoints, prefix: location.prefix, ...debug });
    }
  }
}
