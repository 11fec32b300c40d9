/* nat.h — rewriting addresses and ports with incremental checksum fixes: the IP header
 * checksum, the TCP/UDP checksum (pseudo-header for addresses; UDP's 0 stays 0), SCTP (CRC32c
 * has no pseudo-header, so an address change needs nothing; a port change is refused), and the
 * quoted packet inside ICMP errors for NATed flows (plus the ICMP checksum over it). */
#ifndef SLUICE_NAT_H
#define SLUICE_NAT_H

#include "ctx.h"
#include "csum.h"
#include "parse.h"
#include "conntrack.h"

#define SL_IP_SADDR_OFF (ETH_HLEN + 12)
#define SL_IP_DADDR_OFF (ETH_HLEN + 16)

/* nat_l4_csum_off returns the offset of the L4 checksum that covers addresses, or 0. */
SL_INLINE __u32 nat_l4_csum_off(__u8 proto, __u32 l4_off)
{
	if (proto == IPPROTO_TCP)
		return l4_off + 16;
	if (proto == IPPROTO_UDP)
		return l4_off + 6;
	return 0;
}

/* nat_rewrite sets the destination (dst=1) or source address and port; < 0 when a helper
 * failed or the rewrite is not possible (SCTP port change). */
SL_INLINE int nat_rewrite(struct sl_ctx *ctx, int dst, __be32 addr, __be16 port)
{
	struct __sk_buff *skb = ctx->skb;
	__be32 old_addr = dst ? ctx->daddr : ctx->saddr;
	__be16 old_port = dst ? ctx->dport : ctx->sport;
	int l4 = ctx->frag != SL_FRAG_LATER;
	int port_changes = l4 && port != old_port && ctx->proto != IPPROTO_ICMP;
	if (port_changes && ctx->proto == IPPROTO_SCTP)
		return -2;
	__u32 csum_off = l4 ? nat_l4_csum_off(ctx->proto, ctx->l4_off) : 0;
	if (addr != old_addr) {
		if (bpf_l3_csum_replace(skb, SL_IP_CSUM_OFF, old_addr, addr, 4) < 0)
			return -1;
		if (csum_off && csum_l4_update(skb, csum_off, ctx->proto, old_addr, addr, 4, 1) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, dst ? SL_IP_DADDR_OFF : SL_IP_SADDR_OFF, &addr, 4, 0) < 0)
			return -1;
	}
	if (port_changes) {
		if (csum_off && csum_l4_update(skb, csum_off, ctx->proto, old_port, port, 2, 0) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, ctx->l4_off + (dst ? 2 : 0), &port, 2, 0) < 0)
			return -1;
	}
	if (dst) {
		ctx->daddr = addr;
		if (l4)
			ctx->dport = port;
	} else {
		ctx->saddr = addr;
		if (l4)
			ctx->sport = port;
	}
	return 0;
}

/* nat_apply performs ctx->nat_op. A hairpin flow (client == backend) needs both addresses
 * changed, else the pod would get a packet from itself and drop it as a martian: DNAT also
 * SNATs the client to cfg_hairpin_ip (port kept), and REV_SNAT sends the reply, addressed to
 * cfg_hairpin_ip, back to the client — its own source before the rewrite. */
SL_INLINE int nat_apply(struct sl_ctx *ctx)
{
	int rc = 0;
	if (ctx->nat_op == SL_NAT_DNAT) {
		rc = nat_rewrite(ctx, 1, ctx->nat_addr, ctx->nat_port);
		if (rc == 0 && ctx->hairpin)
			rc = nat_rewrite(ctx, 0, cfg_hairpin_ip, ctx->sport);
	} else if (ctx->nat_op == SL_NAT_REV_SNAT) {
		__be32 client = ctx->saddr;
		rc = nat_rewrite(ctx, 0, ctx->nat_addr, ctx->nat_port);
		if (rc == 0 && ctx->hairpin)
			rc = nat_rewrite(ctx, 1, client, ctx->dport);
	}
	return rc;
}

SL_INLINE int icmp_is_error(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/* nat_icmp_field replaces a 2- or 4-byte field inside an ICMP error's payload and folds the
 * change into the ICMP checksum. */
SL_INLINE int nat_icmp_field(struct sl_ctx *ctx, __u32 off, __u32 from, __u32 to, __u32 size)
{
	if (from == to)
		return 0;
	if (bpf_l4_csum_replace(ctx->skb, ctx->l4_off + 2, from, to, size) < 0)
		return -1;
	return bpf_skb_store_bytes(ctx->skb, off, &to, size, 0);
}

/* The quoted packet of an ICMP error. */
struct sl_icmp_inner {
	__u32 ip_off;
	__u32 l4_off;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

SL_INLINE int nat_icmp_inner_parse(struct sl_ctx *ctx, struct sl_icmp_inner *in)
{
	in->ip_off = ctx->l4_off + 8;
	struct iphdr *ip = pkt_ptr(ctx->skb, in->ip_off, sizeof(struct iphdr));
	if (!ip || ip->version != 4 || ip->ihl < 5)
		return -1;
	in->l4_off = in->ip_off + ip->ihl * 4;
	in->saddr = ip->saddr;
	in->daddr = ip->daddr;
	in->proto = ip->protocol;
	__be16 *ports = pkt_ptr(ctx->skb, in->l4_off, 8);
	if (!ports)
		return -1;
	if (in->proto == IPPROTO_ICMP) {
		in->sport = in->dport = ports[2]; /* echo identifier */
	} else {
		in->sport = ports[0];
		in->dport = ports[1];
	}
	return 0;
}

/* nat_icmp_inner rewrites the quoted packet's source (dst=0) or destination address and port,
 * keeping its IP and L4 checksums and the outer ICMP checksum right. */
SL_INLINE int nat_icmp_inner(struct sl_ctx *ctx, struct sl_icmp_inner *in, int dst, __be32 addr, __be16 port)
{
	struct __sk_buff *skb = ctx->skb;
	__be32 old_addr = dst ? in->daddr : in->saddr;
	__be16 old_port = dst ? in->dport : in->sport;
	__u32 csum_off = in->ip_off + 10;
	__be16 *c = pkt_ptr(skb, csum_off, 2);
	if (!c)
		return -1;
	__be16 old_ipc = *c;
	if (bpf_l3_csum_replace(skb, csum_off, old_addr, addr, 4) < 0)
		return -1;
	c = pkt_ptr(skb, csum_off, 2);
	if (!c)
		return -1;
	__be16 new_ipc = *c;
	/* the inner IP checksum now matches the new address; the ICMP checksum sees both words */
	if (bpf_l4_csum_replace(skb, ctx->l4_off + 2, old_ipc, new_ipc, 2) < 0)
		return -1;
	if (nat_icmp_field(ctx, in->ip_off + (dst ? 16 : 12), old_addr, addr, 4) < 0)
		return -1;
	__u32 l4c = nat_l4_csum_off(in->proto, in->l4_off);
	__be16 *l4cp = l4c ? pkt_ptr(skb, l4c, 2) : NULL;
	if (l4cp && !(in->proto == IPPROTO_UDP && *l4cp == 0)) {
		__u32 old_c = *l4cp;
		__u32 sum = ~old_c & 0xffff;
		/* csum_replace by hand: the quoted L4 checksum is data here, not skb->csum state */
		sum += (~old_addr & 0xffff) + (~old_addr >> 16) + (addr & 0xffff) + (addr >> 16);
		if (in->proto != IPPROTO_ICMP && old_port != port)
			sum += (~old_port & 0xffff) + port;
		__u32 new_c = csum_fold(sum) & 0xffff;
		if (in->proto == IPPROTO_UDP && new_c == 0)
			new_c = 0xffff;
		if (nat_icmp_field(ctx, l4c, old_c, new_c, 2) < 0)
			return -1;
	}
	if (in->proto != IPPROTO_ICMP && old_port != port &&
	    nat_icmp_field(ctx, in->l4_off + (dst ? 2 : 0), old_port, port, 2) < 0)
		return -1;
	return 0;
}

/* nat_icmp_error handles an ICMP error about a NATed flow: the quoted packet and the outer
 * addresses are rewritten to what its receiver knows. Returns 1 when rewritten, 0 when the
 * error is about no NATed flow, < 0 on failure. */
SL_INLINE int nat_icmp_error(struct sl_ctx *ctx)
{
	struct sl_icmp_inner in = {};
	if (nat_icmp_inner_parse(ctx, &in) < 0)
		return 0;
	struct sl_ct_key k;
	int src_is_a = ct_key_make(&k, in.saddr, in.daddr, in.sport, in.dport, in.proto);
	struct sl_ct_value *v = bpf_map_lookup_elem(&sl_ct, &k);
	if (!v)
		return 0;
	int quoted_fwd = src_is_a == !!(v->flags & SL_CT_F_INIT_A);
	int hairpin = (v->flags & SL_CT_F_HAIRPIN) != 0;
	if (v->type == SL_CT_NAT_REV && quoted_fwd) {
		/* our DNATed packet client → backend bounced: show the client its frontend (and, for
		 * a hairpin flow, its own address where the loopback SNAT put cfg_hairpin_ip) */
		__be32 backend = in.daddr;
		if (nat_icmp_inner(ctx, &in, 1, v->nat_addr, v->nat_port) < 0)
			return -1;
		if (hairpin && nat_icmp_inner(ctx, &in, 0, backend, in.sport) < 0)
			return -1;
		if (ctx->saddr == backend && nat_rewrite(ctx, 0, v->nat_addr, 0) < 0)
			return -1;
		if (hairpin && ctx->daddr == cfg_hairpin_ip && nat_rewrite(ctx, 1, backend, 0) < 0)
			return -1;
		return 1;
	}
	if (v->type == SL_CT_NAT_FWD && !quoted_fwd) {
		/* a reverse-NATed reply frontend → client bounced: send it to the backend (from the
		 * loopback address for a hairpin flow, whose client is that backend) */
		__be32 frontend = in.saddr, client = in.daddr;
		if (nat_icmp_inner(ctx, &in, 0, v->nat_addr, v->nat_port) < 0)
			return -1;
		if (hairpin && nat_icmp_inner(ctx, &in, 1, cfg_hairpin_ip, in.dport) < 0)
			return -1;
		if (ctx->daddr == frontend && nat_rewrite(ctx, 1, v->nat_addr, 0) < 0)
			return -1;
		if (hairpin && ctx->saddr == client && nat_rewrite(ctx, 0, cfg_hairpin_ip, 0) < 0)
			return -1;
		return 1;
	}
	return 0;
}

#endif /* SLUICE_NAT_H */
