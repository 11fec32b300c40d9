/* dns_hold.h — DNS policy's "no race" (abi.h "DNS policy"): a DNS answer on its way into a pod
 * with domain policy waits in the agent until the IP sets hold what it answered. The frame is
 * copied to sl_dns_events and dropped here; the agent sends it on with SL_MARK_DNS_RELEASED.
 * Only answers on established flows (replies to the pod's own queries), over UDP or TCP, and only while the agent's
 * heartbeat is live: an agent that is gone must not take DNS down with it. */
#ifndef SLUICE_DNS_HOLD_H
#define SLUICE_DNS_HOLD_H

#include "ctx.h"
#include "maps.h"
#include "counters.h"

#define SL_DNS_PORT 53

/* dns_hold_wanted says whether this packet is a DNS answer the pod behind `ifindex` must not get
 * before the agent saw it. Over TCP that is every segment from port 53 (SYN-ACK, data, FIN): the
 * agent follows the stream from its first sequence number and learns each length-prefixed
 * message before the segment that completes it goes on. */
SL_INLINE int dns_hold_wanted(struct sl_ctx *ctx, __u32 ifindex)
{
	if (ctx->proto != IPPROTO_UDP && ctx->proto != IPPROTO_TCP)
		return 0;
	if (ctx->sport != bpf_htons(SL_DNS_PORT))
		return 0;
	if (ctx->ct_result == SL_CTR_MISS || ctx->frag == SL_FRAG_LATER)
		return 0;
	struct sl_pol_endpoint *ep = bpf_map_lookup_elem(&sl_pol_endpoints, &ifindex);
	return ep && (ep->flags & SL_POL_EP_F_DNS);
}

/* dns_hold_small copies a frame of at most SL_DNS_FRAME_MAX bytes to sl_dns_events (TC_ACT_SHOT),
 * or returns -1 when it cannot. */
SL_INLINE int dns_hold_small(struct sl_ctx *ctx, __u32 ifindex, __u32 len)
{
	if (len == 0 || len > SL_DNS_FRAME_MAX)
		return -1;
	struct sl_dns_event *ev = bpf_ringbuf_reserve(&sl_dns_events, sizeof(*ev), 0);
	if (!ev)
		return -1;
	ev->hdr.type = SL_EVENT_DNS;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->ifindex = ifindex;
	ev->frame_len = len;
	if (bpf_skb_load_bytes(ctx->skb, 0, ev->frame, len) < 0) {
		bpf_ringbuf_discard(ev, 0);
		return -1;
	}
	bpf_ringbuf_submit(ev, 0);
	return TC_ACT_SHOT;
}

/* dns_hold_big is dns_hold_small for a longer frame (a GSO/GRO aggregate of a large TCP answer),
 * in an sl_dns_big_event. */
SL_INLINE int dns_hold_big(struct sl_ctx *ctx, __u32 ifindex, __u32 len)
{
	if (len <= SL_DNS_FRAME_MAX || len > SL_DNS_BIG_FRAME_MAX)
		return -1;
	struct sl_dns_big_event *ev = bpf_ringbuf_reserve(&sl_dns_events, sizeof(*ev), 0);
	if (!ev)
		return -1;
	ev->hdr.type = SL_EVENT_DNS_BIG;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->ifindex = ifindex;
	ev->frame_len = len;
	if (bpf_skb_load_bytes(ctx->skb, 0, ev->frame, len) < 0) {
		bpf_ringbuf_discard(ev, 0);
		return -1;
	}
	bpf_ringbuf_submit(ev, 0);
	return TC_ACT_SHOT;
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
	int rc = len > SL_DNS_FRAME_MAX ? dns_hold_big(ctx, ifindex, len) : dns_hold_small(ctx, ifindex, len);
	counter_add(ctx, rc < 0 ? SL_R_DNS_NOT_HELD : SL_R_DNS_HELD);
	return rc;
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
