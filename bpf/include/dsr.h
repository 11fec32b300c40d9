/* dsr.h — NodePort DSR mode. The ingress node DNATs to the remote backend and routes the packet
 * to the backend's node unencapsulated, with the frontend (service address and port) in an
 * 8-byte IPv4 option (SL_DSR_OPT_TYPE, inserted right after the base header with
 * bpf_skb_adjust_room(BPF_ADJ_ROOM_NET)). The backend's node strips the option, remembers the
 * frontend in a NAT_REV conntrack entry, and reverse-NATs the replies itself, which then go
 * straight to the client with the service address as source. An option (Cilium's choice) rather
 * than a tunnel: nothing else can carry 6 bytes of frontend through VXLAN's 4 spare bytes, and
 * the packet keeps the client's source address end to end. */
#ifndef SLUICE_DSR_H
#define SLUICE_DSR_H

#include "ctx.h"
#include "csum.h"
#include "parse.h"

struct sl_dsr_opt {
	__u8 type;
	__u8 len;
	__be16 port;
	__be32 addr;
};

/* dsr_fix_header sets IHL and total length and recomputes the header checksum. */
SL_INLINE int dsr_fix_header(struct sl_ctx *ctx, __u32 ihl, __u32 tot_len)
{
	__u8 hdr[60] = {};
	barrier_var(ihl);
	ihl &= 0x3c;
	if (ihl < 20)
		return -1;
	if (bpf_skb_load_bytes(ctx->skb, ETH_HLEN, hdr, ihl) < 0)
		return -1;
	struct iphdr *ip = (struct iphdr *)hdr;
	ip->ihl = ihl / 4;
	ip->tot_len = bpf_htons(tot_len);
	ip->check = 0;
	__s64 sum = bpf_csum_diff(NULL, 0, (__be32 *)hdr, ihl & 0x3c, 0);
	ip->check = csum_fold((__u32)sum);
	if (bpf_skb_store_bytes(ctx->skb, ETH_HLEN, hdr, sizeof(struct iphdr), 0) < 0)
		return -1;
	ctx->ihl = ihl;
	ctx->ip_len = tot_len;
	ctx->l4_off = ETH_HLEN + ihl;
	return 0;
}

/* dsr_add inserts the option carrying the frontend; -2 when the header has no room left. */
SL_INLINE int dsr_add(struct sl_ctx *ctx, __be32 fe_addr, __be16 fe_port)
{
	if (ctx->ihl + SL_DSR_OPT_LEN > 60)
		return -2;
	if (ctx->skb->len > ETH_HLEN + ctx->ip_len &&
	    bpf_skb_change_tail(ctx->skb, ETH_HLEN + ctx->ip_len, 0) < 0)
		return -1;
	/* GSO copies the whole IP header, option included, into every segment. FIXED_GSO keeps
	 * the segment payload pipe_mtu found to fit with the option; without it (gso_shrink) the
	 * kernel takes the option's 8 bytes off every segment's payload. */
	if (bpf_skb_adjust_room(ctx->skb, SL_DSR_OPT_LEN, BPF_ADJ_ROOM_NET, ctx->gso_shrink ? 0 : BPF_F_ADJ_ROOM_FIXED_GSO) < 0)
		return -1;
	struct sl_dsr_opt opt = { .type = SL_DSR_OPT_TYPE, .len = SL_DSR_OPT_LEN, .port = fe_port, .addr = fe_addr };
	if (bpf_skb_store_bytes(ctx->skb, ETH_HLEN + sizeof(struct iphdr), &opt, sizeof(opt), 0) < 0)
		return -1;
	return dsr_fix_header(ctx, ctx->ihl + SL_DSR_OPT_LEN, ctx->ip_len + SL_DSR_OPT_LEN);
}

/* dsr_find reads our option if it is the first one: frontend into orig_daddr/orig_dport. */
SL_INLINE int dsr_find(struct sl_ctx *ctx)
{
	if (ctx->ihl < sizeof(struct iphdr) + SL_DSR_OPT_LEN)
		return 0;
	struct sl_dsr_opt *opt = pkt_ptr(ctx->skb, ETH_HLEN + sizeof(struct iphdr), sizeof(struct sl_dsr_opt));
	if (!opt || opt->type != SL_DSR_OPT_TYPE || opt->len != SL_DSR_OPT_LEN)
		return 0;
	ctx->orig_daddr = opt->addr;
	ctx->orig_dport = opt->port;
	return 1;
}

/* dsr_strip removes the option before the packet reaches the pod. */
SL_INLINE int dsr_strip(struct sl_ctx *ctx)
{
	if (bpf_skb_adjust_room(ctx->skb, -SL_DSR_OPT_LEN, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_FIXED_GSO) < 0)
		return -1;
	return dsr_fix_header(ctx, ctx->ihl - SL_DSR_OPT_LEN, ctx->ip_len - SL_DSR_OPT_LEN);
}

#endif /* SLUICE_DSR_H */
