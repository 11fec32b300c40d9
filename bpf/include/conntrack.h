/* conntrack.h — the connection tracker over sl_ct: normalised keys, TCP state per direction,
 * Calico's default timeouts (overridable live through sl_globals), expiry judged on lookup, and
 * the NORMAL / NAT_FWD+NAT_REV entry pairs (layout in abi.h). */
#ifndef SLUICE_CONNTRACK_H
#define SLUICE_CONNTRACK_H

#include "ctx.h"
#include "maps.h"

#define SL_TCP_FIN 0x01
#define SL_TCP_SYN 0x02
#define SL_TCP_RST 0x04
#define SL_TCP_ACK 0x10

#define SL_NS 1000000000ULL

/* ct_key_make normalises (s, sp) → (d, dp) so the lower endpoint (numerically, host order) is
 * side a; it returns 1 when the packet's source is side a. */
SL_INLINE int ct_key_make(struct sl_ct_key *k, __be32 s, __be32 d, __be16 sp, __be16 dp, __u8 proto)
{
	__u32 hs = bpf_ntohl(s), hd = bpf_ntohl(d);
	int src_is_a = hs < hd || (hs == hd && bpf_ntohs(sp) <= bpf_ntohs(dp));
	k->proto = proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
	if (src_is_a) {
		k->addr_a = s; k->port_a = sp; k->addr_b = d; k->port_b = dp;
	} else {
		k->addr_a = d; k->port_a = dp; k->addr_b = s; k->port_b = sp;
	}
	return src_is_a;
}

SL_INLINE struct sl_globals *globals_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&sl_globals, &zero);
}

SL_INLINE __u64 ct_timeout_default(__u32 which)
{
	switch (which) {
	case SL_CT_TO_TCP_SYN: return 20;
	case SL_CT_TO_TCP_EST: return 3600;
	case SL_CT_TO_TCP_FIN: return 30;
	case SL_CT_TO_TCP_RST: return 40;
	case SL_CT_TO_UDP: return 60;
	case SL_CT_TO_ICMP: return 5;
	case SL_CT_TO_CREATION_GRACE: return 10;
	}
	return 600;
}

/* ct_timeout_ns is slot `which` of sl_globals (Calico's default where 0). */
SL_INLINE __u64 ct_timeout_ns(__u32 which)
{
	__u64 secs = ct_timeout_default(which);
	struct sl_globals *g = globals_get();
	if (g && g->ct_timeout_s[which & (SL_CT_TO_MAX - 1)])
		secs = g->ct_timeout_s[which & (SL_CT_TO_MAX - 1)];
	return secs * SL_NS;
}

/* ct_one_sided says one leg of the entry never sent a packet while the other did: this node
 * sees one direction of the flow only (a DSR ingress node sees the client, never the backend's
 * replies), so the silent leg's bits can never arrive and the talking leg alone tells the state. */
SL_INLINE int ct_one_sided(const struct sl_ct_value *v)
{
	return (v->leg_a == 0) != (v->leg_b == 0);
}

/* ct_timeout_class picks the timeout slot of an entry's state. The same rule is in TypeScript
 * (src/calc/conntrack-lifetime.ts) for the sweeper and `sluice dump conntrack`: keep them equal. */
SL_INLINE __u32 ct_timeout_class(const struct sl_ct_value *v, __u8 proto)
{
	if (proto == IPPROTO_UDP)
		return SL_CT_TO_UDP;
	if (proto == IPPROTO_ICMP)
		return SL_CT_TO_ICMP;
	if (proto != IPPROTO_TCP)
		return SL_CT_TO_GENERIC;
	__u8 both = v->leg_a | v->leg_b;
	if (both & SL_CT_LEG_RST)
		return SL_CT_TO_TCP_RST;
	int one_sided = ct_one_sided(v);
	if (((v->leg_a & SL_CT_LEG_FIN) && (v->leg_b & SL_CT_LEG_FIN)) || (one_sided && (both & SL_CT_LEG_FIN)))
		return SL_CT_TO_TCP_FIN;
	/* one-sided: a client ACKs only what it got, so its ACK after the SYN means the handshake is done */
	if (((v->leg_a & SL_CT_LEG_ACK) && (v->leg_b & SL_CT_LEG_ACK)) || (one_sided && (both & SL_CT_LEG_ACK)))
		return SL_CT_TO_TCP_EST;
	return SL_CT_TO_TCP_SYN;
}

/* ct_expired judges a NORMAL or NAT_REV entry (a NAT_FWD entry lives as long as its NAT_REV):
 * never within the creation grace period (the datapath may still be writing the pair), else
 * when idle longer than its state's timeout. */
SL_INLINE int ct_expired(const struct sl_ct_value *v, __u8 proto, __u64 now)
{
	if (now <= v->last_seen_ns || now < v->created_ns + ct_timeout_ns(SL_CT_TO_CREATION_GRACE))
		return 0;
	return now - v->last_seen_ns > ct_timeout_ns(ct_timeout_class(v, proto));
}

/* ct_closed says a TCP entry is finished, so a fresh SYN may start a new flow on its tuple. */
SL_INLINE int ct_closed(const struct sl_ct_value *v)
{
	return ((v->leg_a | v->leg_b) & SL_CT_LEG_RST) ||
	       ((v->leg_a & SL_CT_LEG_FIN) && (v->leg_b & SL_CT_LEG_FIN));
}

SL_INLINE __u8 ct_leg_bits(struct sl_ctx *ctx)
{
	__u8 bits = SL_CT_LEG_SEEN;
	if (ctx->proto != IPPROTO_TCP)
		return bits;
	if (ctx->tcp_flags & SL_TCP_SYN)
		bits |= SL_CT_LEG_SYN;
	if (ctx->tcp_flags & SL_TCP_ACK)
		bits |= SL_CT_LEG_ACK;
	if (ctx->tcp_flags & SL_TCP_FIN)
		bits |= SL_CT_LEG_FIN;
	if (ctx->tcp_flags & SL_TCP_RST)
		bits |= SL_CT_LEG_RST;
	return bits;
}

/* ct_touch records this packet in the entry: sender's TCP bits, what the sender sent (flow
 * logs; plain adds, as Calico: a rare lost update between CPUs costs less than an atomic on every
 * packet; bytes are the IP length, a GSO packet counts once) and the last-seen time. */
SL_INLINE void ct_touch(struct sl_ctx *ctx, struct sl_ct_value *v, int src_is_a)
{
	__u8 bits = ct_leg_bits(ctx);
	if (src_is_a) {
		if ((v->leg_a & bits) != bits)
			v->leg_a |= bits;
		v->packets_a++;
		v->bytes_a += ctx->ip_len;
	} else {
		if ((v->leg_b & bits) != bits)
			v->leg_b |= bits;
		v->packets_b++;
		v->bytes_b += ctx->ip_len;
	}
	v->last_seen_ns = bpf_ktime_get_ns();
}

/* ct_find returns a live entry for k, deleting it when it expired or (for a new SYN) closed. A
 * NAT_FWD entry is judged by its NAT_REV (ct_lookup): it holds no state, and judging it by its
 * own empty legs expired every idle Service flow at the SYN timeout. */
SL_INLINE struct sl_ct_value *ct_find(struct sl_ctx *ctx, struct sl_ct_key *k, __u64 now)
{
	struct sl_ct_value *v = bpf_map_lookup_elem(&sl_ct, k);
	if (!v)
		return NULL;
	int fresh_syn = ctx->proto == IPPROTO_TCP &&
			(ctx->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) == SL_TCP_SYN;
	if (v->type == SL_CT_NAT_FWD)
		return v;
	if (ct_expired(v, ctx->proto, now) || (fresh_syn && ct_closed(v))) {
		bpf_map_delete_elem(&sl_ct, k);
		return NULL;
	}
	return v;
}

/* ct_reset settles a client packet of a flow whose backend was removed (SL_CT_F_RESET): the
 * entries `k` (and `k2`, when set) are deleted; a TCP packet that is no fresh SYN is to be
 * answered with a RST from (rst_addr, rst_port) — the address the client talks to — and a new
 * SYN or any other protocol starts over as a new flow (a live backend). Returns 1 for a RST. */
SL_INLINE int ct_reset(struct sl_ctx *ctx, struct sl_ct_key *k, struct sl_ct_key *k2, __be32 rst_addr, __be16 rst_port)
{
	bpf_map_delete_elem(&sl_ct, k);
	if (k2)
		bpf_map_delete_elem(&sl_ct, k2);
	if (ctx->proto != IPPROTO_TCP || (ctx->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK | SL_TCP_RST)) == SL_TCP_SYN)
		return 0;
	if (ctx->tcp_flags & SL_TCP_RST)
		return 0; /* never answer a RST with a RST */
	ctx->daddr = rst_addr;
	ctx->dport = rst_port;
	ctx->ct_result = SL_CTR_RESET;
	return 1;
}

/* ct_lookup classifies the packet against conntrack and sets ctx->ct, ct_result and nat_op. */
SL_INLINE void ct_lookup(struct sl_ctx *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	int src_is_a = ct_key_make(&ctx->ct_key, ctx->saddr, ctx->daddr, ctx->sport, ctx->dport, ctx->proto);
	ctx->ct_result = SL_CTR_MISS;
	struct sl_ct_value *v = ct_find(ctx, &ctx->ct_key, now);
	if (!v)
		return;
	int forward = src_is_a == !!(v->flags & SL_CT_F_INIT_A);
	if (v->type == SL_CT_NAT_FWD) {
		if (!forward) {
			/* an already reverse-NATed reply passing a second hook: nothing to do */
			ctx->ct_result = SL_CTR_HIT_REPLY;
			v->last_seen_ns = now;
			return;
		}
		/* a hairpin flow's state is keyed by the source the backend sees: the loopback address */
		int hairpin = (v->flags & SL_CT_F_HAIRPIN) != 0;
		struct sl_ct_key rk;
		int rsrc_is_a = ct_key_make(&rk, hairpin ? cfg_hairpin_ip : ctx->saddr, v->nat_addr, ctx->sport,
					    v->nat_port, ctx->proto);
		struct sl_ct_value *rv = ct_find(ctx, &rk, now);
		if (v->flags & SL_CT_F_RESET || (rv && (rv->flags & SL_CT_F_RESET))) {
			ct_reset(ctx, &ctx->ct_key, &rk, ctx->daddr, ctx->dport);
			return;
		}
		if (!rv) {
			bpf_map_delete_elem(&sl_ct, &ctx->ct_key);
			return;
		}
		v->last_seen_ns = now;
		ctx->nat_op = SL_NAT_DNAT;
		ctx->hairpin = hairpin;
		ctx->nat_addr = v->nat_addr;
		ctx->nat_port = v->nat_port;
		ctx->orig_daddr = ctx->daddr;
		ctx->orig_dport = ctx->dport;
		ctx->ct = rv;
		ctx->ct_key = rk;
		ctx->ct_result = SL_CTR_HIT_FWD;
		ct_touch(ctx, rv, rsrc_is_a);
		return;
	}
	if (forward && (v->flags & SL_CT_F_RESET)) {
		if (v->type != SL_CT_NAT_REV) {
			ct_reset(ctx, &ctx->ct_key, NULL, ctx->daddr, ctx->dport);
			return;
		}
		/* already DNATed (DSR backend node, a second hook): the client talks to the frontend */
		struct sl_ct_key fk;
		ct_key_make(&fk, ctx->saddr, v->nat_addr, ctx->sport, v->nat_port, ctx->proto);
		ct_reset(ctx, &ctx->ct_key, &fk, v->nat_addr, v->nat_port);
		return;
	}
	ctx->ct = v;
	ctx->ct_result = forward ? SL_CTR_HIT_FWD : SL_CTR_HIT_REPLY;
	if (v->type == SL_CT_NAT_REV && !forward) {
		ctx->nat_op = SL_NAT_REV_SNAT;
		ctx->nat_addr = v->nat_addr;
		ctx->nat_port = v->nat_port;
		ctx->hairpin = (v->flags & SL_CT_F_HAIRPIN) != 0;
	}
	ct_touch(ctx, v, src_is_a);
}

/* ct_create records a new flow: one NORMAL entry, or (ctx->nat_op == DNAT) the NAT_REV entry
 * {client, backend} holding the state and the NAT_FWD entry {client, frontend} pointing at it;
 * for a hairpin flow (ctx->hairpin) both are flagged and NAT_REV's client is the loopback
 * address; a host flow's SL_CT_F_HOST is on both too. flags/tun_ip describe the return path
 * (tunnel, DSR). */
SL_INLINE int ct_create(struct sl_ctx *ctx, __u8 flags, __be32 tun_ip)
{
	__u64 now = bpf_ktime_get_ns();
	struct sl_ct_value v = { .created_ns = now, .last_seen_ns = now, .tun_ip = tun_ip };
	struct sl_ct_key k;
	__be32 src = ctx->saddr;
	__be32 dst = ctx->daddr;
	__be16 dport = ctx->dport;
	if (ctx->nat_op == SL_NAT_DNAT) {
		dst = ctx->nat_addr;
		dport = ctx->nat_port;
		if (ctx->hairpin) {
			src = cfg_hairpin_ip;
			flags |= SL_CT_F_HAIRPIN;
		}
	}
	int src_is_a = ct_key_make(&k, src, dst, ctx->sport, dport, ctx->proto);
	v.flags = flags | (src_is_a ? SL_CT_F_INIT_A : 0);
	__u8 init_ok = ctx->pol_approved & SL_POL_APPROVED_SRC ? SL_CT_LEG_APPROVED : 0;
	__u8 resp_ok = ctx->pol_approved & SL_POL_APPROVED_DST ? SL_CT_LEG_APPROVED : 0;
	if (src_is_a) {
		v.leg_a = ct_leg_bits(ctx) | init_ok;
		v.leg_b = resp_ok;
		v.packets_a = 1;
		v.bytes_a = ctx->ip_len;
	} else {
		v.leg_b = ct_leg_bits(ctx) | init_ok;
		v.leg_a = resp_ok;
		v.packets_b = 1;
		v.bytes_b = ctx->ip_len;
	}
	if (ctx->nat_op == SL_NAT_DNAT || (flags & SL_CT_F_DSR)) {
		v.type = SL_CT_NAT_REV;
		v.nat_addr = ctx->orig_daddr;
		v.nat_port = ctx->orig_dport;
	}
	if (bpf_map_update_elem(&sl_ct, &k, &v, BPF_ANY) < 0)
		return -1;
	ctx->ct_key = k;
	if (ctx->nat_op != SL_NAT_DNAT)
		return 0;
	struct sl_ct_value fv = { .created_ns = now, .last_seen_ns = now, .type = SL_CT_NAT_FWD,
				  .flags = flags & (SL_CT_F_HAIRPIN | SL_CT_F_HOST), .nat_addr = ctx->nat_addr, .nat_port = ctx->nat_port };
	struct sl_ct_key fk;
	if (ct_key_make(&fk, ctx->saddr, ctx->daddr, ctx->sport, ctx->dport, ctx->proto))
		fv.flags |= SL_CT_F_INIT_A;
	return bpf_map_update_elem(&sl_ct, &fk, &fv, BPF_ANY);
}

#endif /* SLUICE_CONNTRACK_H */
