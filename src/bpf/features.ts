/**
 * Kernel feature probes for `sluice check` and for picking code paths (tcx vs. cls_bpf). Each
 * probe really creates the object it asks about — a map, a program, a link in a throwaway
 * namespace — and never guesses from the kernel version. Results are cached per process.
 * Needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN (for the probe namespace).
 */
import { mapCreate, mapUpdateBatch } from "../kernel/bpf-map.ts";
import { btfLoad } from "../kernel/bpf-prog.ts";
import { createNetns, deleteNetns, withNetns } from "../kernel/netns.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { probeClsBpf } from "./link/cls-bpf-probe.ts";
import { attachTcx } from "./link/tcx.ts";
import { attachXdp } from "./link/xdp.ts";
import { MapType } from "./map-type.ts";
import { callHelper, loadProbe, returnImm } from "./probe-programs.ts";
import { Program } from "./program.ts";
import { AttachType, ProgramType } from "./program-type.ts";

/** FeatureResult is one probe's answer: supported or not, why, and the first kernel that has it. */
export interface FeatureResult {
  readonly name: string;
  readonly supported: boolean;
  readonly detail: string;
  readonly minKernel: string;
}

type Outcome = { readonly supported: boolean; readonly detail: string };
type Probe = { readonly name: string; readonly minKernel: string; readonly run: () => Outcome };

const yes = (detail: string): Outcome => ({ supported: true, detail });
const no = (detail: string): Outcome => ({ supported: false, detail });

function tryCreate(
  what: string,
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  flags = 0,
): Outcome {
  try {
    mapCreate({ type, keySize, valueSize, maxEntries, flags, name: "sl_probe" }).close();
    return yes(`created a ${what} map`);
  } catch (e) {
    return no(`creating a ${what} map failed: ${(e as Error).message}`);
  }
}

// A one-type BTF blob (an `int`): the smallest thing BPF_BTF_LOAD accepts.
function minimalBtf(): Uint8Array {
  const strings = Buffer.from("\0int\0", "ascii");
  const b = Buffer.alloc(24 + 16 + strings.length);
  b.writeUInt16LE(0xeb9f, 0);
  b.writeUInt8(1, 2);
  b.writeUInt32LE(24, 4); // hdr_len
  b.writeUInt32LE(0, 8); // type_off
  b.writeUInt32LE(16, 12); // type_len
  b.writeUInt32LE(16, 16); // str_off
  b.writeUInt32LE(strings.length, 20);
  b.writeUInt32LE(1, 24); // name "int"
  b.writeUInt32LE(1 << 24, 28); // kind INT
  b.writeUInt32LE(4, 32); // size
  b.writeUInt32LE(32, 36); // 32 bits, unsigned
  strings.copy(b, 40);
  return b;
}

function probeHelper(name: string, helper: number): Outcome {
  const r = loadProbe(ProgramType.SchedCls, callHelper(helper));
  if ("fd" in r) {
    r.fd.close();
    return yes(`a tc program calling ${name} loaded`);
  }
  // Unknown helpers fail as "invalid func unknown#N"; a known helper with bad arguments fails on the arguments.
  if (
    /invalid func|unknown func|cannot call|not allowed|program of this type cannot use helper/.test(r.log)
  ) {
    return no(`the verifier does not know ${name} for tc programs`);
  }
  return yes(`the verifier knows ${name} (rejected only the probe's arguments)`);
}

function withProbeProgram(
  type: number,
  attachType: number | undefined,
  ret: number,
  fn: (p: Program) => Outcome,
): Outcome {
  const r = loadProbe(type, returnImm(ret), attachType);
  if (!("fd" in r))
    return no(`loading a probe program failed (errno ${r.errno}): ${r.log.trim().split("\n").pop() ?? ""}`);
  const program = Program.fromFd(r.fd);
  try {
    return fn(program);
  } finally {
    program.close();
  }
}

// Links are tried on the loopback of a namespace made for the probe, so the host's hooks are untouched.
function inProbeNetns(fn: () => Outcome): Outcome {
  const name = `sl-probe-${process.pid}`;
  try {
    createNetns(name);
  } catch (e) {
    return no(`creating a probe namespace failed: ${(e as Error).message}`);
  }
  try {
    return withNetns(name, fn);
  } finally {
    deleteNetns(name);
  }
}

function attachOutcome(what: string, attach: () => { close(): void }): Outcome {
  try {
    attach().close();
    return yes(`attached and detached a ${what} on loopback`);
  } catch (e) {
    const prefix = e instanceof NotSupportedError ? "kernel refused" : "failed";
    return no(`${what} ${prefix}: ${(e as Error).message}`);
  }
}

const PROBES: readonly Probe[] = [
  { name: "bpf-syscall", minKernel: "3.18", run: () => tryCreate("array", MapType.Array, 4, 4, 1) },
  {
    name: "btf",
    minKernel: "5.2",
    run: () => {
      try {
        btfLoad(minimalBtf()).close();
        return yes("loaded a minimal btf blob");
      } catch (e) {
        return no(`BPF_BTF_LOAD failed: ${(e as Error).message}`);
      }
    },
  },
  { name: "lru-hash", minKernel: "4.10", run: () => tryCreate("lru hash", MapType.LruHash, 4, 4, 1) },
  { name: "lpm-trie", minKernel: "4.11", run: () => tryCreate("lpm trie", MapType.LpmTrie, 8, 4, 1, 1) },
  { name: "prog-array", minKernel: "4.2", run: () => tryCreate("prog array", MapType.ProgArray, 4, 4, 1) },
  { name: "ringbuf", minKernel: "5.8", run: () => tryCreate("ring buffer", MapType.RingBuf, 0, 0, 4096) },
  {
    name: "batch-map-ops",
    minKernel: "5.6",
    run: () => {
      let fd;
      try {
        fd = mapCreate({
          type: MapType.Hash,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          flags: 0,
          name: "sl_probe",
        });
        mapUpdateBatch(
          { fd: fd.value, keys: new Uint8Array(4), values: new Uint8Array(4), count: 1 },
          "sl_probe",
        );
        return yes("batch-updated a hash map");
      } catch (e) {
        return no(`batch update failed: ${(e as Error).message}`);
      } finally {
        fd?.close();
      }
    },
  },
  {
    name: "prog-test-run",
    minKernel: "4.12",
    run: () =>
      withProbeProgram(ProgramType.SchedCls, undefined, 0, (p) => {
        try {
          const r = p.testRun({ data: new Uint8Array(14) });
          return r.retval === 0
            ? yes("ran a tc program on a test packet")
            : no(`test run returned ${r.retval}, want 0`);
        } catch (e) {
          return no(`test run failed: ${(e as Error).message}`);
        }
      }),
  },
  { name: "helper-fib-lookup", minKernel: "4.18", run: () => probeHelper("bpf_fib_lookup", 69) },
  { name: "helper-redirect-neigh", minKernel: "5.10", run: () => probeHelper("bpf_redirect_neigh", 152) },
  { name: "helper-redirect-peer", minKernel: "5.10", run: () => probeHelper("bpf_redirect_peer", 155) },
  {
    name: "tcx-link",
    minKernel: "6.6",
    // TCX_NEXT (-1): the probe program passes packets on untouched.
    run: () =>
      withProbeProgram(ProgramType.SchedCls, AttachType.TcxIngress, -1, (p) =>
        inProbeNetns(() => attachOutcome("tcx link", () => attachTcx(p, 1, "ingress"))),
      ),
  },
  {
    name: "xdp-link",
    minKernel: "5.9",
    run: () =>
      withProbeProgram(ProgramType.Xdp, AttachType.Xdp, 2, (p) =>
        inProbeNetns(() => attachOutcome("generic xdp link", () => attachXdp(p, 1, { mode: "generic" }))),
      ),
  },
  {
    name: "cls-bpf",
    minKernel: "4.5",
    run: () =>
      withProbeProgram(ProgramType.SchedCls, undefined, -1, (p) => inProbeNetns(() => probeClsBpf(p))),
  },
];

const cache = new Map<string, FeatureResult>();

/** FEATURE_NAMES lists every probe, in report order. */
export const FEATURE_NAMES: readonly string[] = PROBES.map((p) => p.name);

/** probeFeature runs (once per process) the probe called `name`. */
export function probeFeature(name: string): FeatureResult {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const probe = PROBES.find((p) => p.name === name);
  if (probe === undefined)
    throw new RangeError(`probe feature "${name}": unknown (have ${FEATURE_NAMES.join(", ")})`);
  let outcome: Outcome;
  try {
    outcome = probe.run();
  } catch (e) {
    outcome = no(`probe failed: ${(e as Error).message}`);
  }
  const result = { name, minKernel: probe.minKernel, ...outcome };
  cache.set(name, result);
  return result;
}

/** probeFeatures runs every probe (cached) and returns the results in report order. */
export function probeFeatures(): FeatureResult[] {
  return FEATURE_NAMES.map(probeFeature);
}
