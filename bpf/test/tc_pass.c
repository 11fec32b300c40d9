/* tc_pass.c — the smallest tc program: counts packets and passes them. Two loads of it with
 * different .rodata `cfg_generation` are what the link-replacement test swaps under live pings. */
#include "../include/common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} sl_pass_count SEC(".maps");

volatile const __u32 cfg_generation = 0;

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	__u32 idx = cfg_generation & 3;
	__u64 *ctr = bpf_map_lookup_elem(&sl_pass_count, &idx);
	if (ctr)
		__sync_fetch_and_add(ctr, 1);
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	__u32 idx = cfg_generation & 3;
	__u64 *ctr = bpf_map_lookup_elem(&sl_pass_count, &idx);
	if (ctr)
		__sync_fetch_and_add(ctr, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
