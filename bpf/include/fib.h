/* fib.h — forwarding: straight into a local pod with bpf_redirect_peer (tc ingress only), to
 * anything else after bpf_fib_lookup with bpf_redirect (neighbour known) or bpf_redirect_neigh
 * (not yet resolved), and to the kernel stack when the FIB has no answer for us. */
#ifndef SLUICE_FIB_H
#define SLUICE_FIB_H

#include "ctx.h"
#include "csum.h"
#include "counters.h"
#include "routes.h"
#include "parse.h"
#include "dns_hold.h"

#ifndef AF_INET
#define AF_INET 2
#endif

SL_INLINE int fwd_stack(struct sl_ctx *ctx)
{
	counter_add(ctx, SL_R_FWD_STACK);
	return TC_ACT_OK;
}

SL_INLINE int fwd_redirected(struct sl_ctx *ctx, long rc)
{
	if (rc == TC_ACT_REDIRECT)
		counter_add(ctx, SL_R_FWD_REDIRECT);
	return (int)rc;
}

/* fwd_set_macs writes the Ethernet addresses for the next hop. */
SL_INLINE int fwd_set_macs(struct sl_ctx *ctx, const __u8 *dst, const __u8 *src)
{
	struct ethhdr *eth = pkt_ptr(ctx->skb, 0, ETH_HLEN);
	if (!eth)
		return -1;
	__builtin_memcpy(eth->h_dest, dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, src, ETH_ALEN);
	return 0;
}

/* fwd_ttl_dec decrements the TTL as a router would; 0 when the packet must not be forwarded
 * by us (TTL expires: the stack sends time-exceeded). */
SL_INLINE int fwd_ttl_dec(struct sl_ctx *ctx)
{
	struct iphdr *ip = pkt_ptr(ctx->skb, ETH_HLEN, sizeof(struct iphdr));
	if (!ip || ip->ttl <= 1)
		return 0;
	__be16 *word = (__be16 *)&ip->ttl;
	__be16 old = *word;
	ip->ttl--;
	__be16 new = *word;
	return bpf_l3_csum_replace(ctx->skb, SL_IP_CSUM_OFF, old, new, 2) == 0;
}

/* fwd_local_pod delivers into a pod on this node: MACs from the route, then peer redirect — unless
 * it is a DNS answer the pod's domain policy must see learned first (dns_hold.h). */
SL_INLINE int fwd_local_pod(struct sl_ctx *ctx, struct sl_route_value *r)
{
	if (!fwd_ttl_dec(ctx) || fwd_set_macs(ctx, r->mac, r->host_mac) < 0)
		return fwd_stack(ctx);
	int held = dns_hold(ctx, r->ifindex);
	if (held >= 0)
		return held;
	return fwd_redirected(ctx, bpf_redirect_peer(r->ifindex, 0));
}

/* fwd_fib routes the packet toward nexthop (its own destination, or the node to tunnel/DSR to);
 * dec_ttl is 0 for packets we originate (VXLAN outer header). */
SL_INLINE int fwd_fib(struct sl_ctx *ctx, __be32 nexthop, __be32 src, int dec_ttl)
{
	struct bpf_fib_lookup p = {
		.family = AF_INET,
		.l4_protocol = ctx->proto,
		/* 0: the kernel checks the skb itself against the egress MTU, GSO-aware
		 * (is_skb_forwardable); a GSO packet's total length would always fail */
		.tot_len = 0,
		.ipv4_src = src,
		.ipv4_dst = nexthop,
		.ifindex = ctx->skb->ifindex,
	};
	long rc = bpf_fib_lookup(ctx->skb, &p, sizeof(p), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return fwd_stack(ctx);
	if (dec_ttl && !fwd_ttl_dec(ctx))
		return fwd_stack(ctx);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (fwd_set_macs(ctx, p.dmac, p.smac) < 0)
			return fwd_stack(ctx);
		return fwd_redirected(ctx, bpf_redirect(p.ifindex, 0));
	}
	struct bpf_redir_neigh nh = { .nh_family = AF_INET, .ipv4_nh = p.ipv4_dst };
	return fwd_redirected(ctx, bpf_redirect_neigh(p.ifindex, &nh, sizeof(nh), 0));
}

/* fwd_packet forwards a plain (not tunnelled) packet to its destination. from_ingress says the
 * program runs on tc ingress, where peer redirect into a local pod is allowed. */
SL_INLINE int fwd_packet(struct sl_ctx *ctx, int from_ingress)
{
	if (!from_ingress)
		return fwd_stack(ctx);
	struct sl_route_value *r = route_lookup(ctx->daddr);
	/* includes a hairpin flow back into the pod it came from: SNATed, it is no martian there */
	if (r && (r->flags & SL_ROUTE_LOCAL_WORKLOAD) && r->ifindex != 0)
		return fwd_local_pod(ctx, r);
	if (r && (r->flags & SL_ROUTE_LOCAL_HOST))
		return fwd_stack(ctx);
	return fwd_fib(ctx, ctx->daddr, ctx->saddr, 1);
}

/* fwd_host sends on a packet this node's own stack sent out of a host interface (tc egress)
 * after its destination became a Service backend: into a local pod through the pod's host veth
 * (bpf_redirect to its egress, which hands it to the peer — peer redirect exists only from
 * ingress; no TTL decrement: the host originated it, nothing was forwarded), else where the FIB
 * routes the backend, as the stack would have: out of this same interface it only needs the
 * next hop's MACs and goes on (TC_ACT_OK, no second pass through this program), out of another
 * it is redirected. Without a FIB answer it goes on unchanged but for the NAT. */
SL_INLINE int fwd_host(struct sl_ctx *ctx)
{
	struct sl_route_value *r = route_lookup(ctx->daddr);
	if (r && (r->flags & SL_ROUTE_LOCAL_WORKLOAD) && r->ifindex != 0) {
		if (fwd_set_macs(ctx, r->mac, r->host_mac) < 0)
			return fwd_stack(ctx);
		return fwd_redirected(ctx, bpf_redirect(r->ifindex, 0));
	}
	struct bpf_fib_lookup p = {
		.family = AF_INET,
		.l4_protocol = ctx->proto,
		.tot_len = 0, /* see fwd_fib */
		.ipv4_src = ctx->saddr,
		.ipv4_dst = ctx->daddr,
		.ifindex = ctx->skb->ifindex,
	};
	long rc = bpf_fib_lookup(ctx->skb, &p, sizeof(p), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (fwd_set_macs(ctx, p.dmac, p.smac) < 0 || p.ifindex == ctx->skb->ifindex)
			return fwd_stack(ctx);
		return fwd_redirected(ctx, bpf_redirect(p.ifindex, 0));
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = { .nh_family = AF_INET, .ipv4_nh = p.ipv4_dst };
		return fwd_redirected(ctx, bpf_redirect_neigh(p.ifindex, &nh, sizeof(nh), 0));
	}
	return fwd_stack(ctx);
}

#endif /* SLUICE_FIB_H */
