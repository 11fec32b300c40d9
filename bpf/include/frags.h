/* frags.h — IPv4 fragments of service traffic. Decision: the first fragment carries the ports, so
 * it is NATed like any packet and leaves an sl_frags entry keyed by {src, dst, IP id, proto};
 * later fragments find it and get the same address rewrite (IP checksum only: they have no L4
 * header) and the same forwarding (tunnel, DSR node). A later fragment that arrives before its
 * first, or belongs to no NATed flow, is handed to the stack untouched and counted
 * (SL_R_PASS_FRAG_UNTRACKED): we never guess a backend for it. */
#ifndef SLUICE_FRAGS_H
#define SLUICE_FRAGS_H

#include "ctx.h"
#include "maps.h"

/* frag_save remembers how the first fragment (still carrying its original addresses in
 * orig_saddr/orig_daddr) was rewritten; a hairpin flow's second address is implied (the loopback
 * address, or the reply's own source), so the flag is enough. */
SL_INLINE void frag_save(struct sl_ctx *ctx, __be32 orig_saddr, __be32 orig_daddr)
{
	if (ctx->frag != SL_FRAG_FIRST || (ctx->nat_op == SL_NAT_NONE && !ctx->to_tunnel && !ctx->to_dsr))
		return;
	struct sl_frag_key k = { .src = orig_saddr, .dst = orig_daddr, .id = ctx->ip_id, .proto = ctx->proto };
	struct sl_frag_value v = { .tun_ip = ctx->tun_ip };
	if (ctx->nat_op == SL_NAT_DNAT) {
		v.flags |= SL_FRAG_F_DST;
		v.new_addr = ctx->nat_addr;
	} else {
		v.new_addr = ctx->nat_op == SL_NAT_REV_SNAT ? ctx->nat_addr : orig_saddr;
	}
	if (ctx->to_tunnel)
		v.flags |= SL_FRAG_F_TUNNEL;
	if (ctx->to_dsr)
		v.flags |= SL_FRAG_F_DSR;
	if (ctx->hairpin)
		v.flags |= SL_FRAG_F_HAIRPIN;
	bpf_map_update_elem(&sl_frags, &k, &v, BPF_ANY);
}

/* frag_find loads a later fragment's decision into ctx; 0 when there is none. */
SL_INLINE int frag_find(struct sl_ctx *ctx)
{
	struct sl_frag_key k = { .src = ctx->saddr, .dst = ctx->daddr, .id = ctx->ip_id, .proto = ctx->proto };
	struct sl_frag_value *v = bpf_map_lookup_elem(&sl_frags, &k);
	if (!v)
		return 0;
	ctx->nat_addr = v->new_addr;
	ctx->nat_op = (v->flags & SL_FRAG_F_DST) ? SL_NAT_DNAT : SL_NAT_REV_SNAT;
	ctx->tun_ip = v->tun_ip;
	ctx->to_tunnel = (v->flags & SL_FRAG_F_TUNNEL) != 0;
	ctx->to_dsr = (v->flags & SL_FRAG_F_DSR) != 0;
	ctx->hairpin = (v->flags & SL_FRAG_F_HAIRPIN) != 0;
	return 1;
}

#endif /* SLUICE_FRAGS_H */
