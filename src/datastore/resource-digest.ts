/**
 * resourceDigest: a digest of a resource object's JSON, kept per object while it lives (resources
 * are never mutated in place: an update is a new object). The agent's NAT snapshot keys each
 * Service's results by the digests of its input (src/agent/nat-snapshot.ts). The datastore's
 * index snapshot records the digest beside each resource and registers it again when it loads
 * the resource (rememberDigest), so a restart does not hash 20,000 objects to learn that
 * nothing changed — the hashing happens when a snapshot is written, off the hot path.
 */
import { createHash } from "node:crypto";

const digests = new WeakMap<object, string>();

/** resourceDigest is the sha1 (base64) of `o`'s JSON.stringify, computed once per object. */
export function resourceDigest(o: object): string {
  let d = digests.get(o);
  if (d === undefined) {
    d = createHash("sha1").update(JSON.stringify(o)).digest("base64");
    digests.set(o, d);
  }
  return d;
}

/**
 * rememberDigest registers the digest an earlier process computed for the object `o` was read
 * back from (its JSON is the same, so its digest is too).
 */
export function rememberDigest(o: object, digest: string): void {
  digests.set(o, digest);
}
