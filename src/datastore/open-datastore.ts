/**
 * openDatastore: the one place a DatastoreLocation becomes a backend, so the CLI and the agent
 * open `file`, `kubernetes` and `etcd` the same way.
 */
import type { Datastore } from "./datastore.ts";
import type { DatastoreLocation } from "./datastore-location.ts";
import { EtcdDatastore } from "./etcd/etcd-datastore.ts";
import { FileDatastore } from "./file-datastore.ts";
import { loadKubeConfig } from "./kubernetes/kube-connection.ts";
import { KubernetesDatastore } from "./kubernetes/kubernetes-datastore.ts";

/** OpenOptions: where a backend's debug lines go (the agent's logger). */
export interface OpenOptions {
  readonly debug?: (message: string) => void;
}

/** openDatastore opens the backend `location` names. */
export async function openDatastore(location: DatastoreLocation, options: OpenOptions = {}): Promise<Datastore> {
  switch (location.type) {
    case "file":
      return new FileDatastore(location.dir);
    case "kubernetes":
      return new KubernetesDatastore(loadKubeConfig({ ...(location.kubeconfig !== undefined ? { kubeconfig: location.kubeconfig } : {}), ...(location.context !== undefined ? { context: location.context } : {}) }), options.debug ? { debug: options.debug } : {});
    case "etcd":
      return new EtcdDatastore({ endpoints: location.endpoints, prefix: location.prefix, ...(options.debug ? { debug: options.debug } : {}) });
  }
}
