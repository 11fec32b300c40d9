/**
 * OneOrMore is a map value that is nearly always one item: the item itself, a list only when
 * there are more. At 10,000–100,000 Services a one-element array per entry (a Service's one
 * EndpointSlice, a frontend's one wanting Service, a resource's one definition) was ~56 bytes
 * each, megabytes in all. T must not itself be an array.
 */
export type OneOrMore<T> = T | T[];

/** listOf is the items of `v` as a list (empty when undefined). */
export function listOf<T>(v: OneOrMore<T> | undefined): readonly T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v as T];
}

/** oneOrMore is `list` as a map value: its item when it has one, else the list. */
export function oneOrMore<T>(list: T[]): OneOrMore<T> {
  return list.length === 1 ? list[0]! : list;
}

/** addOne adds `item` to `key`'s items unless it is there already. */
export function addOne<K, T>(map: Map<K, OneOrMore<T>>, key: K, item: T): void {
  const v = map.get(key);
  if (v === undefined) map.set(key, item);
  else if (!Array.isArray(v)) {
    if (v !== item) map.set(key, [v as T, item]);
  } else if (!v.includes(item)) v.push(item);
}

/** removeOne removes `item` from `key`'s items, and the key when none is left. */
export function removeOne<K, T>(map: Map<K, OneOrMore<T>>, key: K, item: T): void {
  const v = map.get(key);
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    if (v === item) map.delete(key);
    return;
  }
  const rest = v.filter((x) => x !== item);
  if (rest.length === 0) map.delete(key);
  else map.set(key, oneOrMore(rest));
}
