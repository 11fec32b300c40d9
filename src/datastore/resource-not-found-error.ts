/**
 * ResourceNotFoundError: a write or read named a resource the datastore does not hold.
 */
import { formatResourceKey, type ResourceKey } from "../model/resource-key.ts";

/** ResourceNotFoundError carries the key that was not found; message: `patch Service default/web: not found`. */
export class ResourceNotFoundError extends Error {
  override readonly name: string = "ResourceNotFoundError";
  constructor(
    readonly verb: string,
    readonly key: ResourceKey,
  ) {
    super(`${verb} ${formatResourceKey(key)}: not found`);
  }
}
