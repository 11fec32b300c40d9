/**
 * heap-owners: where a V8 heap snapshot's memory is, by owner. Computes the dominator tree of
 * the snapshot (Cooper–Harvey–Kennedy over a depth-first postorder, weak edges ignored) and
 * charges every object to the nearest dominating field of an instance of one of the owner
 * classes (e.g. `ClusterCache.#named`, `NatReconciler.#actual`); what no such field dominates
 * — objects shared by two owners, code, Node itself — is "(shared or runtime)".
 *
 *   sudo node --heapsnapshot-signal=SIGUSR2 bin/sluice.js agent ...   # then kill -USR2 <pid>
 *   npx tsx bench/heap-owners.ts Heap.*.heapsnapshot [--owners=ClusterCache,NatReconciler,...]
 *     [--classes-of=DataplaneSync.#services]   # the by-class table of one owner field
 *
 * Prints the reachable total, the self size per owner field, and per class (V8's "concatenated
 * string" is a template literal's result kept as a tree of pieces; a plain object is shown by its
 * first property names, `{key,value}`). Not part of `npm run bench`.
 */
import { readFileSync } from "node:fs";

const DEFAULT_OWNERS = [
  "FileDatastore",
  "DatastoreIndex",
  "ManifestDirectory",
  "ClusterCache",
  "DataplaneSync",
  "NatReconciler",
  "NatCache",
  "ServingIndex",
  "ServiceIdAllocator",
  "ConntrackSweeper",
  "Registry",
];

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: heap-owners.ts <file.heapsnapshot> [--owners=A,B]");
  const ownersArg = process.argv.find((a) => a.startsWith("--owners="));
  // --classes-of=Owner.#field: the by-class table for that one owner's objects only.
  const classesOf = process.argv.find((a) => a.startsWith("--classes-of="))?.slice("--classes-of=".length);
  const owners = new Set(ownersArg ? ownersArg.slice("--owners=".length).split(",") : DEFAULT_OWNERS);
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const meta = snap.snapshot.meta;
  const { nodes, edges, strings } = snap;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const fType = meta.node_fields.indexOf("type");
  const fName = meta.node_fields.indexOf("name");
  const fSelf = meta.node_fields.indexOf("self_size");
  const fEdges = meta.node_fields.indexOf("edge_count");
  const eType = meta.edge_fields.indexOf("type");
  const eName = meta.edge_fields.indexOf("name_or_index");
  const eTo = meta.edge_fields.indexOf("to_node");
  const weak = edgeTypes.indexOf("weak");
  const shortcut = edgeTypes.indexOf("shortcut");
  const hidden = edgeTypes.indexOf("hidden");
  const N = nodes.length / NF;
  const at = (i: number): number => nodes[i] ?? 0;
  const edgeAt = (i: number): number => edges[i] ?? 0;
  const first = new Uint32Array(N + 1);
  for (let v = 0, e = 0; v < N; v++) {
    first[v] = e;
    e += at(v * NF + fEdges) * EF;
  }
  first[N] = edges.length;
  const followed = (v: number, e: number): boolean => {
    const t = edgeAt(e + eType);
    return t !== weak && (v === 0 || t !== shortcut);
  };
  // Depth-first postorder from the root (node 0).
  const post = new Int32Array(N).fill(-1);
  const order = new Uint32Array(N);
  const stack = new Uint32Array(N);
  const next = new Uint32Array(N);
  const seen = new Uint8Array(N);
  let count = 0;
  let sp = 1;
  seen[0] = 1;
  next[0] = first[0] ?? 0;
  while (sp > 0) {
    const v = stack[sp - 1] ?? 0;
    const e = next[sp - 1] ?? 0;
    if (e < (first[v + 1] ?? 0)) {
      next[sp - 1] = e + EF;
      if (!followed(v, e)) continue;
      const w = edgeAt(e + eTo) / NF;
      if (seen[w] === 0) {
        seen[w] = 1;
        stack[sp] = w;
        next[sp] = first[w] ?? 0;
        sp++;
      }
    } else {
      sp--;
      post[v] = count;
      order[count++] = v;
    }
  }
  // Predecessors (reachable ones).
  const predStart = new Uint32Array(N + 1);
  for (let v = 0; v < N; v++)
    if (seen[v] === 1)
      for (let e = first[v] ?? 0; e < (first[v + 1] ?? 0); e += EF)
        if (followed(v, e)) predStart[edgeAt(e + eTo) / NF + 1]!++;
  for (let v = 0; v < N; v++) predStart[v + 1]! += predStart[v] ?? 0;
  const preds = new Uint32Array(predStart[N] ?? 0);
  const fill = predStart.slice(0, N);
  for (let v = 0; v < N; v++)
    if (seen[v] === 1)
      for (let e = first[v] ?? 0; e < (first[v + 1] ?? 0); e += EF)
        if (followed(v, e)) preds[fill[edgeAt(e + eTo) / NF]!++] = v;
  // Immediate dominators, by postorder number.
  const root = post[0] ?? 0;
  const idom = new Int32Array(count).fill(-1);
  idom[root] = root;
  for (let changed = true; changed;) {
    changed = false;
    for (let k = count - 1; k >= 0; k--) {
      if (k === root) continue;
      const v = order[k] ?? 0;
      let d = -1;
      for (let p = predStart[v] ?? 0; p < (predStart[v + 1] ?? 0); p++) {
        const b = post[preds[p] ?? 0] ?? -1;
        if (b < 0 || idom[b] === -1) continue;
        if (d === -1) d = b;
        else {
          let x = b;
          let y = d;
          while (x !== y) {
            while (x < y) x = idom[x] ?? 0;
            while (y < x) y = idom[y] ?? 0;
          }
          d = x;
        }
      }
      if (d !== -1 && idom[k] !== d) {
        idom[k] = d;
        changed = true;
      }
    }
  }
  const typeOf = (v: number): string => nodeTypes[at(v * NF + fType)] ?? "?";
  const nameOf = (v: number): string => strings[at(v * NF + fName)] ?? "?";
  // Label the fields of owner instances, then hand labels down the dominator tree.
  const label: (string | undefined)[] = new Array<string | undefined>(count);
  for (let k = 0; k < count; k++) {
    const v = order[k] ?? 0;
    if (typeOf(v) !== "object" || !owners.has(nameOf(v))) continue;
    for (let e = first[v] ?? 0; e < (first[v + 1] ?? 0); e += EF) {
      const kw = post[edgeAt(e + eTo) / NF] ?? -1;
      if (kw >= 0 && idom[kw] === k && edgeAt(e + eType) !== hidden)
        label[kw] = `${nameOf(v)}.${strings[edgeAt(e + eName)] ?? edgeAt(e + eName)}`;
    }
  }
  const own: string[] = new Array<string>(count);
  for (let k = count - 1; k >= 0; k--)
    own[k] =
      label[k] ?? (k === root ? "(shared or runtime)" : (own[idom[k] ?? root] ?? "(shared or runtime)"));
  const property = edgeTypes.indexOf("property");
  /** A plain object's "class" is its property names ({key,value}): V8 names them all "Object". */
  const shapeOf = (v: number): string => {
    const names: string[] = [];
    for (let e = first[v] ?? 0; e < (first[v + 1] ?? 0) && names.length < 5; e += EF)
      if (edgeAt(e + eType) === property) names.push(strings[edgeAt(e + eName)] ?? "?");
    return `{${names.join(",")}}`;
  };
  const byOwner = new Map<string, number>();
  const byClass = new Map<string, [number, number]>();
  let total = 0;
  for (let k = 0; k < count; k++) {
    const v = order[k] ?? 0;
    const size = at(v * NF + fSelf);
    total += size;
    const o = own[k] ?? "?";
    byOwner.set(o, (byOwner.get(o) ?? 0) + size);
    if (classesOf !== undefined && o !== classesOf) continue;
    const t = typeOf(v);
    const name = nameOf(v);
    const cls = /string/.test(t)
      ? t
      : `${t}:${(t === "object" && name === "Object" ? shapeOf(v) : name).slice(0, 50)}`;
    const c = byClass.get(cls) ?? [0, 0];
    c[0] += size;
    c[1]++;
    byClass.set(cls, c);
  }
  const mb = (n: number): string => (n / 1e6).toFixed(1).padStart(7);
  console.log(`reachable: ${mb(total)} MB in ${count} objects`);
  console.log("\nself size by owner field:");
  for (const [o, s] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 30))
    if (s >= 50_000) console.log(`${mb(s)} MB  ${o}`);
  console.log(`\nself size by class${classesOf !== undefined ? ` (${classesOf} only)` : ""}:`);
  for (const [c, [s, n]] of [...byClass].sort((a, b) => b[1][0] - a[1][0]).slice(0, 20))
    console.log(`${mb(s)} MB  ${String(n).padStart(8)}  ${c}`);
}

main();
