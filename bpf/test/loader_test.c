/* loader_test.c — an object that exercises every loader feature: each BTF map type, global data
 * (.rodata constants set before load and frozen, .data, .bss), a .text subprogram, map
 * relocations, a prog-array tail call filled after load, and ring buffer output.
 * Not shipped; tests load it to prove the loader. */
#include "../include/common.h"

struct loader_key {
	__u32 id;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct loader_value {
	__u64 packets;
	__u64 bytes;
	__u32 flags;
	__u32 reserved_0;
};

struct lpm_v4_key {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct loader_key);
	__type(value, struct loader_value);
} sl_test_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} sl_test_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} sl_test_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} sl_test_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sl_test_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} sl_test_percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} sl_test_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} sl_test_jump SEC(".maps");

/* Load-time constants: the loader writes these before load and freezes .rodata. */
volatile const __u32 cfg_verdict = TC_ACT_OK;
volatile const __u32 cfg_mark = 0;
/* .data and .bss: mutable globals userspace can read back. */
__u64 seen_packets = 7;
__u64 tail_hits;

struct tail_event {
	struct sl_event_hdr hdr;
	__u32 len;
	__u32 mark;
};

/* A real .text subprogram (noinline) so the loader must resolve a bpf-to-bpf call. */
static __noinline __u32 count_packet(struct __sk_buff *skb)
{
	__u32 idx = SL_CTR_RX;
	__u64 *ctr = bpf_map_lookup_elem(&sl_test_counters, &idx);
	if (ctr)
		*ctr += 1;
	__sync_fetch_and_add(&seen_packets, 1);
	return skb->len;
}

SEC("tc")
int loader_tail(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&tail_hits, 1);
	struct tail_event *ev = bpf_ringbuf_reserve(&sl_test_events, sizeof(*ev), 0);
	if (ev) {
		ev->hdr.type = 1;
		ev->hdr.len = sizeof(*ev);
		ev->hdr.ts_ns = bpf_ktime_get_ns();
		ev->len = skb->len;
		ev->mark = skb->mark;
		bpf_ringbuf_submit(ev, 0);
	}
	return TC_ACT_SHOT;
}

SEC("tc")
int loader_main(struct __sk_buff *skb)
{
	__u32 len = count_packet(skb);
	struct loader_key key = { .id = skb->mark, .port = bpf_htons(80), .proto = 6 };
	struct loader_value *val = bpf_map_lookup_elem(&sl_test_hash, &key);
	if (val) {
		__sync_fetch_and_add(&val->packets, 1);
		__sync_fetch_and_add(&val->bytes, len);
	} else {
		struct loader_value init = { .packets = 1, .bytes = len };
		bpf_map_update_elem(&sl_test_hash, &key, &init, BPF_ANY);
	}
	__u32 zero = 0;
	__u64 mark64 = cfg_mark;
	bpf_map_update_elem(&sl_test_array, &zero, &mark64, BPF_ANY);
	/* mark 0xfeed asks for the tail call: tests fill the prog array after load. */
	if (skb->mark == 0xfeed)
		bpf_tail_call(skb, &sl_test_jump, 0);
	return cfg_verdict;
}

SEC("xdp")
int loader_xdp(struct xdp_md *ctx)
{
	__u32 idx = SL_CTR_TX;
	__u64 *ctr = bpf_map_lookup_elem(&sl_test_counters, &idx);
	if (ctr)
		*ctr += 1;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
