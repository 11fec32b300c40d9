/* dns_hold.h — DNS policy's "no race" (abi.h "DNS policy"): a DNS answer on its way into a pod
 * with domain policy waits in the agent until the IP sets hold what it answered. The frame is
 * copied to sl_dns_events and dropped here; the agent sends it on with SL_MARK_DNS_RELEASED.
 * Only answers on established flows (replies to the pod's own queries) and only while the agent's
 * heartbeat is live: an agent that is gone must not take DNS down with it. */
#ifndef SLUICE_DNS_HOLD_H
#define SLUICE_DNS_HOLD_H

#include "ctx.h"
#include "maps.h"
#include "counters.h"

#define SL_DNS_PORT 53

/* dns_hold_wanted says whether this packet is a DNS answer the pod behind `ifindex` must not get
 * before the agent saw it. */
SL_INLINE int dns_hold_wanted(struct sl_ctx *ctx, __u32 ifindex)
{
	if (ctx->proto != IPPROTO_UDP || ctx->sport != bpf_htons(SL_DNS_PORT))
		return 0;
	if (ctx->ct_result == SL_CTR_MISS || ctx->frag == SL_FRAG_LATER)
		return 0;
	struct sl_pol_endpoint *ep = bpf_map_lookup_elem(&sl_pol_endpoints, &ifindex);
	return ep && (ep->flags & SL_POL_EP_F_DNS);
}

/* dns_hold copies the frame for the agent and drops it (TC_ACT_SHOT), or returns -1 when the
 * answer goes on unheld (counted): no live agent, a frame too big, a full ring. */
SL_INLINE int dns_hold(struct sl_ctx *ctx, __u32 ifindex)
{
	if (!dns_hold_wanted(ctx, ifindex))
		return -1;
	__u32 zero = 0;
	struct sl_dns_hold *live = bpf_map_lookup_elem(&sl_dns_hold, &zero);
	if (!live || (bpf_ktime_get_ns() >> SL_DNS_HOLD_SHIFT) >= live->until) {
		counter_add(ctx, SL_R_DNS_NOT_HELD);
		return -1;
	}
	__u32 len = ctx->skb->len;
	if (len == 0 || len > SL_DNS_FRAME_MAX) {
		counter_add(ctx, SL_R_DNS_NOT_HELD);
		return -1;
	}
	struct sl_dns_event *ev = bpf_ringbuf_reserve(&sl_dns_events, sizeof(*ev), 0);
	if (!ev) {
		counter_add(ctx, SL_R_DNS_NOT_HELD);
		return -1;
	}
	ev->hdr.type = SL_EVENT_DNS;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->ifindex = ifindex;
	ev->frame_len = len;
	if (bpf_skb_load_bytes(ctx->skb, 0, ev->frame, len) < 0) {
		bpf_ringbuf_discard(ev, 0);
		counter_add(ctx, SL_R_DNS_NOT_HELD);
		return -1;
	}
	bpf_ringbuf_submit(ev, 0);
	counter_add(ctx, SL_R_DNS_HELD);
	return TC_ACT_SHOT;
}

/* dns_released lets through (once) a frame the agent sent back; 1 when this is one. */
SL_INLINE int dns_released(struct sl_ctx *ctx)
{
	if (ctx->skb->mark != SL_MARK_DNS_RELEASED)
		return 0;
	ctx->skb->mark = 0;
	counter_add(ctx, SL_R_DNS_RELEASED);
	return 1;
}

#endif /* SLUICE_DNS_HOLD_H */
