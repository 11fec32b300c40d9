/**
 * Throwaway network namespaces for root tests. Names start with "sl-t-nl-" plus the pid, so a
 * crashed run is recognisable and parallel runs never collide; they are deleted in finally,
 * also when the test fails.
 */
import { createNetns, deleteNetns, netnsExists } from "../../src/kernel/netns.ts";

let counter = 0;

/** withTempNetns creates `count` namespaces, runs fn with their names, then deletes them. */
export async function withTempNetns<T>(count: number, fn: (names: string[]) => T | Promise<T>): Promise<T> {
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `sl-t-nl-${process.pid}-${++counter}`;
      createNetns(name);
      names.push(name);
    }
    return await fn(names);
  } finally {
    for (const name of names) {
      if (netnsExists(name)) deleteNetns(name);
    }
  }
}
