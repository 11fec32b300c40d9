/**
 * The `__sk_buff` context a tc program gets under BPF_PROG_TEST_RUN. The kernel
 * (net/bpf/test_run.c, convert___skb_to_skb) accepts only a few fields in ctx_in and fails with
 * EINVAL if any other byte is non-zero, so this builder can only set those.
 */

/**
 * SkbCtxOffset holds the byte offsets of the settable fields in uapi `struct __sk_buff`
 * (linux/bpf.h; pointers there are 8-byte `__bpf_md_ptr` slots, hence the gap before tstamp).
 */
export const SkbCtxOffset = {
  mark: 8,
  priority: 32,
  ingressIfindex: 36,
  ifindex: 40,
  cb: 48,
  tstamp: 152,
  wireLen: 160,
  gsoSegs: 164,
  gsoSize: 176,
} as const;

/** SKB_CTX_SIZE is sizeof(struct __sk_buff) on current kernels (through hwtstamp). */
export const SKB_CTX_SIZE = 192;

/**
 * SkbCtxFields are the `__sk_buff` fields test_run lets a test set. `ifindex` > 1 must name a
 * device in the caller's network namespace (the kernel looks it up; ENODEV otherwise).
 * `wireLen` must be 0 or >= the packet length.
 */
export interface SkbCtxFields {
  mark?: number;
  priority?: number;
  ingressIfindex?: number;
  ifindex?: number;
  /** Up to 5 words of cb[], the scratch space programs use to pass state along tail calls. */
  cb?: readonly number[];
  tstamp?: bigint;
  wireLen?: number;
  gsoSegs?: number;
  gsoSize?: number;
}

/** buildSkbCtx encodes `fields` as a zeroed `__sk_buff` in host byte order, as the kernel reads it. */
export function buildSkbCtx(fields: SkbCtxFields): Uint8Array {
  const out = new Uint8Array(SKB_CTX_SIZE);
  const v = new DataView(out.buffer);
  const u32 = (off: number, n: number | undefined): void => {
    if (n !== undefined) v.setUint32(off, n >>> 0, true);
  };
  if ((fields.cb?.length ?? 0) > 5)
    throw new RangeError(`build __sk_buff: cb has ${fields.cb?.length} words, the kernel has 5`);
  u32(SkbCtxOffset.mark, fields.mark);
  u32(SkbCtxOffset.priority, fields.priority);
  u32(SkbCtxOffset.ingressIfindex, fields.ingressIfindex);
  u32(SkbCtxOffset.ifindex, fields.ifindex);
  (fields.cb ?? []).forEach((w, i) => u32(SkbCtxOffset.cb + 4 * i, w));
  if (fields.tstamp !== undefined) v.setBigUint64(SkbCtxOffset.tstamp, fields.tstamp, true);
  u32(SkbCtxOffset.wireLen, fields.wireLen);
  u32(SkbCtxOffset.gsoSegs, fields.gsoSegs);
  u32(SkbCtxOffset.gsoSize, fields.gsoSize);
  return out;
}

/** SkbCtx is a decoded ctx_out: the settable fields as the program left them. */
export type SkbCtx = Required<Omit<SkbCtxFields, "cb">> & { cb: number[] };

/** parseSkbCtx decodes the settable fields from a ctx_out buffer (shorter buffers read as zero). */
export function parseSkbCtx(bytes: Uint8Array): SkbCtx {
  const full = new Uint8Array(SKB_CTX_SIZE);
  full.set(bytes.subarray(0, SKB_CTX_SIZE));
  const v = new DataView(full.buffer);
  const u32 = (off: number): number => v.getUint32(off, true);
  return {
    mark: u32(SkbCtxOffset.mark),
    priority: u32(SkbCtxOffset.priority),
    ingressIfindex: u32(SkbCtxOffset.ingressIfindex),
    ifindex: u32(SkbCtxOffset.ifindex),
    cb: [0, 1, 2, 3, 4].map((i) => u32(SkbCtxOffset.cb + 4 * i)),
    tstamp: v.getBigUint64(SkbCtxOffset.tstamp, true),
    wireLen: u32(SkbCtxOffset.wireLen),
    gsoSegs: u32(SkbCtxOffset.gsoSegs),
    gsoSize: u32(SkbCtxOffset.gsoSize),
  };
}
