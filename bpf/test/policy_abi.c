/* policy_abi.c — declares the network-policy maps with the abi.h types the generated policy
 * programs (src/policy/) use, so their layouts reach BTF and `npm run generate` emits codecs,
 * and shows in C what a generated program does at its end. Not shipped: tc.c will declare the
 * same maps when it hooks policy in; tests compare src/policy's map specs with these. */
#include "../include/common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_policy_state);
} sl_pol_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SL_POL_JUMP_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} sl_pol_jump SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SL_POL_JUMP_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} sl_pol_jump_xdp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_IPSETS_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_ipset_key);
	__type(value, struct sl_ipset_value);
} sl_ipsets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_POL_HITS_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} sl_pol_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SL_POL_EVENTS_SIZE);
} sl_pol_events SEC(".maps");

/* A subprogram whose prototype carries the event struct, so clang puts it in BTF. */
static __noinline void pol_abi_fill(struct sl_pol_log_event *ev, const struct sl_policy_state *st)
{
	ev->hdr.type = SL_EVENT_POLICY_LOG;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->src_addr = st->src_addr;
	ev->dst_addr = st->dst_addr;
	ev->src_port = st->src_port;
	ev->dst_port = st->dst_port;
	ev->proto = st->proto;
	ev->ip_version = st->ip_version;
	ev->icmp_type = st->icmp_type;
	ev->icmp_code = st->icmp_code;
	ev->rule_id = st->rule_id;
	ev->tier = st->tier;
}

/* The flow-log event (SL_EVENT_FLOW): a prototype carrying it puts it in BTF, so its codec is
 * generated before tc.c emits it. */
static __noinline void flow_abi_fill(struct sl_flow_event *ev, const struct sl_policy_state *st)
{
	ev->hdr.type = SL_EVENT_FLOW;
	ev->hdr.len = sizeof(*ev);
	ev->src_addr = st->src_addr;
	ev->dst_addr = st->dst_addr;
	ev->verdict = st->verdict;
	ev->rule_id = st->rule_id;
	ev->tier = st->tier;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SL_DNS_EVENTS_SIZE);
} sl_dns_events SEC(".maps");

/* a held DNS answer as dns_hold.h writes it (here so its layout reaches BTF for the agent's codec) */
static __noinline void dns_abi_fill(struct sl_dns_event *ev, struct __sk_buff *skb)
{
	ev->hdr.type = SL_EVENT_DNS;
	ev->hdr.len = sizeof(*ev);
	ev->ifindex = skb->ifindex;
	ev->frame_len = 0;
}

/* and the one for a frame longer than SL_DNS_FRAME_MAX */
static __noinline void dns_big_abi_fill(struct sl_dns_big_event *ev, struct __sk_buff *skb)
{
	ev->hdr.type = SL_EVENT_DNS_BIG;
	ev->hdr.len = sizeof(*ev);
	ev->ifindex = skb->ifindex;
	ev->frame_len = 0;
}

/* What a generated program does once it has decided: log (here unconditionally, to anchor the
 * event struct in BTF), record the verdict, hand over to the DONE slot, else return it. */
SEC("tc")
int pol_abi_done(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct sl_policy_state *st = bpf_map_lookup_elem(&sl_pol_state, &zero);
	if (!st)
		return TC_ACT_SHOT;
	struct sl_pol_log_event *ev = bpf_ringbuf_reserve(&sl_pol_events, sizeof(*ev), 0);
	if (ev) {
		pol_abi_fill(ev, st);
		bpf_ringbuf_submit(ev, 0);
	}
	struct sl_flow_event *fe = bpf_ringbuf_reserve(&sl_pol_events, sizeof(*fe), 0);
	if (fe) {
		flow_abi_fill(fe, st);
		bpf_ringbuf_submit(fe, 0);
	}
	struct sl_dns_event *de = bpf_ringbuf_reserve(&sl_dns_events, sizeof(*de), 0);
	if (de) {
		dns_abi_fill(de, skb);
		bpf_ringbuf_submit(de, 0);
	}
	struct sl_dns_big_event *dbe = bpf_ringbuf_reserve(&sl_dns_events, sizeof(*dbe), 0);
	if (dbe) {
		dns_big_abi_fill(dbe, skb);
		bpf_ringbuf_submit(dbe, 0);
	}
	struct sl_ipset_key key = { .prefixlen = SL_IPSET_LOOKUP_LEN, .set_id = 1, .addr = st->src_addr };
	if (bpf_map_lookup_elem(&sl_ipsets, &key))
		st->verdict = SL_POL_ALLOW;
	__u32 rule = st->rule_id;
	__u64 *hits = bpf_map_lookup_elem(&sl_pol_hits, &rule);
	if (hits)
		*hits += 1;
	bpf_tail_call(skb, &sl_pol_jump, st->done_slot);
	return st->verdict == SL_POL_ALLOW ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
