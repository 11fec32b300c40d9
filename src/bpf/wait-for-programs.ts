/**
 * waitForRunningPrograms returns once every BPF program that was running when it was called has
 * finished. The kernel offers this as a side effect, not a command: an update of a map-in-map
 * waits for an RCU grace period (kernel/bpf/syscall.c maybe_wait_bpf_programs: "wait for any
 * running non-sleepable BPF programs to complete"), so one update of a throwaway one-slot
 * array-of-maps is the wait. Used before emptying a prog-array slot that a program still running
 * may tail-call (a packet inside an old program after a link swap). Blocks the calling thread for
 * one grace period (milliseconds). Needs CAP_BPF.
 */
import { BpfMap } from "./map.ts";
import { MapType } from "./map-type.ts";

const zeroKey = new Uint8Array(4);

export function waitForRunningPrograms(): void {
  const inner = BpfMap.create({
    name: "sl_rcu_inner",
    type: MapType.Array,
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
    flags: 0,
    pinning: "none",
  });
  try {
    const outer = BpfMap.create(
      {
        name: "sl_rcu_wait",
        type: MapType.ArrayOfMaps,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        flags: 0,
        pinning: "none",
      },
      { innerMapFd: inner.fd },
    );
    try {
      const value = new Uint8Array(new Uint32Array([inner.fd]).buffer);
      outer.update(zeroKey, value);
    } finally {
      outer.close();
    }
  } finally {
    inner.close();
  }
}
