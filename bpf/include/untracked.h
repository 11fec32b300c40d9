/* untracked.h — doNotTrack (untracked) ingress policy of a host endpoint, in XDP (bpf/xdp.c), and
 * the mark it leaves for from_hep. Calico applies doNotTrack policy before conntrack: a packet it
 * allows is never tracked and meets no normal policy; one it denies is dropped before the stack
 * allocates anything for it; one no doNotTrack rule decides goes on to the normal (tracked) path.
 *
 *   xdp_hep (entry): this interface's sl_pol_endpoints entry, host endpoint with an untracked
 *     ingress program → parse IPv4 → skip our own VXLAN from a node (its inner flow is judged
 *     where it entered) and failsafe inbound ports → fill sl_pol_state → tail-call the program
 *     in sl_pol_jump_xdp. Anything else passes unmarked.
 *   xdp_pol_done (the program's continuation, SL_XDP_SLOT_DONE): deny → XDP_DROP
 *     (SL_R_DROP_UNTRACKED); allow by a rule → struct sl_xdp_meta with SL_XDP_META_UNTRACKED in
 *     front of the packet (SL_R_XDP_UNTRACKED_MARKED); the default (no rule decided: every tier
 *     passed) → XDP_PASS unmarked.
 *   from_hep (pipeline.h): untracked_marked() → TC_ACT_OK at once (SL_R_PASS_UNTRACKED).
 *
 * IPv6 and non-IP frames pass unjudged here: the tc path refuses or judges them as before. A
 * missing program fails closed (dropped), as pol_run does on tc. */
#ifndef SLUICE_UNTRACKED_H
#define SLUICE_UNTRACKED_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include "ctx.h"
#include "maps.h"
#include "routes.h"

/* untracked_count adds one packet to sl_counters under (this interface, reason). */
SL_INLINE void untracked_count(struct xdp_md *xdp, __u32 reason)
{
	struct sl_counter_key key = { .ifindex = xdp->ingress_ifindex, .reason = reason };
	__u64 len = xdp->data_end - xdp->data;
	struct sl_counter_value *v = bpf_map_lookup_elem(&sl_counters, &key);
	if (v) {
		v->packets += 1;
		v->bytes += len;
		return;
	}
	struct sl_counter_value init = { .packets = 1, .bytes = len };
	bpf_map_update_elem(&sl_counters, &key, &init, BPF_NOEXIST);
}

/* untracked_parse fills st's tuple from an IPv4 frame; 0 when the frame is not one to judge
 * (not IPv4, or too short: the tc parser counts and drops the malformed). */
SL_INLINE int untracked_parse(struct xdp_md *xdp, struct sl_policy_state *st)
{
	void *data = (void *)(long)xdp->data;
	void *end = (void *)(long)xdp->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return 0;
	st->src_addr = ip->saddr;
	st->dst_addr = ip->daddr;
	st->proto = ip->protocol;
	st->ip_version = 4;
	st->icmp_type = 0;
	st->icmp_code = 0;
	st->flags = 0;
	st->src_port = 0;
	st->dst_port = 0;
	/* a later fragment carries no L4 header: port criteria never match it (as on tc) */
	if (ip->frag_off & bpf_htons(0x1fff))
		return 1;
	__u8 *l4 = (__u8 *)ip + ip->ihl * 4;
	if (l4 + 4 > (__u8 *)end)
		return 1;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP || ip->protocol == IPPROTO_SCTP) {
		st->flags = SL_POL_F_L4_PORTS;
		st->src_port = ((__u16)l4[0] << 8) | l4[1];
		st->dst_port = ((__u16)l4[2] << 8) | l4[3];
	} else if (ip->protocol == IPPROTO_ICMP) {
		st->icmp_type = l4[0];
		st->icmp_code = l4[1];
	}
	return 1;
}

/* untracked_exempt says no doNotTrack policy judges the packet: our VXLAN from another node (the
 * port from .rodata, cfg_vxlan_port, as on tc), a failsafe inbound port, or an answer from a
 * failsafe outbound one (Calico keeps both open in its raw table too). */
SL_INLINE int untracked_exempt(struct sl_policy_state *st)
{
	if (!(st->flags & SL_POL_F_L4_PORTS))
		return 0;
	if (st->proto == IPPROTO_UDP && st->dst_port == cfg_vxlan_port) {
		struct sl_route_value *r = route_lookup(st->src_addr);
		if (r && (r->flags & SL_ROUTE_REMOTE_HOST))
			return 1;
	}
	struct sl_failsafe_key k = {
		.prefixlen = SL_FAILSAFE_LOOKUP_LEN,
		.direction = SL_FAILSAFE_IN,
		.proto = st->proto,
		.port = st->dst_port,
		.addr = st->src_addr,
	};
	if (bpf_map_lookup_elem(&sl_failsafe, &k))
		return 1;
	/* the answer to the host's outbound failsafe flow: no conntrack here to know it otherwise */
	k.direction = SL_FAILSAFE_OUT;
	k.port = st->src_port;
	return bpf_map_lookup_elem(&sl_failsafe, &k) != NULL;
}

/* untracked_ingress is xdp_hep: judge the packet by this host endpoint's doNotTrack ingress. */
SL_INLINE int untracked_ingress(struct xdp_md *xdp)
{
	__u32 ifindex = cfg_ifindex;
	struct sl_pol_endpoint *ep = bpf_map_lookup_elem(&sl_pol_endpoints, &ifindex);
	if (!ep || !(ep->flags & SL_POL_EP_F_HOST) || !ep->untracked_ingress_slot)
		return XDP_PASS;
	__u32 slot = ep->untracked_ingress_slot;
	__u32 zero = 0;
	struct sl_policy_state *st = bpf_map_lookup_elem(&sl_pol_state, &zero);
	if (!st || !untracked_parse(xdp, st) || untracked_exempt(st))
		return XDP_PASS;
	st->next_tier = 0;
	st->verdict = SL_POL_UNDECIDED;
	st->rule_id = 0;
	st->tier = 0;
	st->done_slot = SL_XDP_SLOT_DONE;
	bpf_tail_call(xdp, &sl_pol_jump_xdp, slot);
	/* the program is missing: fail closed */
	untracked_count(xdp, SL_R_DROP_UNTRACKED);
	return XDP_DROP;
}

/* untracked_done is xdp_pol_done: act on the verdict the program left in sl_pol_state. */
SL_INLINE int untracked_done(struct xdp_md *xdp)
{
	__u32 zero = 0;
	struct sl_policy_state *st = bpf_map_lookup_elem(&sl_pol_state, &zero);
	if (!st || st->verdict != SL_POL_ALLOW) {
		untracked_count(xdp, SL_R_DROP_UNTRACKED);
		return XDP_DROP;
	}
	if (st->tier == SL_POL_TIER_DEFAULT)
		return XDP_PASS; /* no doNotTrack rule decided: the normal path judges it */
	/* no headroom for the mark: the normal path still judges it (tracked), never a bypass */
	if (bpf_xdp_adjust_meta(xdp, -(int)sizeof(struct sl_xdp_meta)))
		return XDP_PASS;
	struct sl_xdp_meta *meta = (void *)(long)xdp->data_meta;
	if ((void *)(meta + 1) > (void *)(long)xdp->data)
		return XDP_PASS;
	meta->magic = SL_XDP_META_MAGIC;
	meta->flags = SL_XDP_META_UNTRACKED;
	untracked_count(xdp, SL_R_XDP_UNTRACKED_MARKED);
	return XDP_PASS;
}

/* untracked_marked says xdp_pol_done allowed this packet by doNotTrack policy (tc side). */
SL_INLINE int untracked_marked(struct __sk_buff *skb)
{
	struct sl_xdp_meta *meta = (void *)(long)skb->data_meta;
	if ((void *)(meta + 1) > (void *)(long)skb->data)
		return 0;
	return meta->magic == SL_XDP_META_MAGIC && (meta->flags & SL_XDP_META_UNTRACKED);
}

#endif /* SLUICE_UNTRACKED_H */
