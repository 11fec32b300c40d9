/**
 * HelperId maps BPF helper names (without the `bpf_` prefix) to their numbers in the kernel's
 * `enum bpf_func_id` (uapi linux/bpf.h, `___BPF_FUNC_MAPPER`); the numbers are stable ABI.
 */
export const HelperId = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  skb_store_bytes: 9,
  l3_csum_replace: 10,
  l4_csum_replace: 11,
  tail_call: 12,
  clone_redirect: 13,
  redirect: 23,
  perf_event_output: 25,
  skb_load_bytes: 26,
  csum_diff: 28,
  redirect_map: 51,
  fib_lookup: 69,
  map_push_elem: 87,
  map_pop_elem: 88,
  ktime_get_boot_ns: 125,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  redirect_neigh: 152,
  redirect_peer: 155,
  ktime_get_coarse_ns: 160,
} as const;
/** HelperName is a helper the assembler can call by name. */
export type HelperName = keyof typeof HelperId;

/** helperName returns the name of helper number `id`, or undefined for one not in HelperId. */
export function helperName(id: number): HelperName | undefined {
  for (const [name, n] of Object.entries(HelperId)) if (n === id) return name as HelperName;
  return undefined;
}
