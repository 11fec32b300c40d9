/* parse.h — Ethernet, IPv4 (with options and fragments), IPv6 (enough to pass it deliberately),
 * TCP, UDP, ICMP and SCTP headers into struct sl_ctx. Every access is bounds-checked right
 * before it is made; anything truncated or inconsistent is reported as malformed, so no later
 * stage ever rewrites a packet it did not fully understand. */
#ifndef SLUICE_PARSE_H
#define SLUICE_PARSE_H

#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "ctx.h"
#include "csum.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* Longest headers parse reads directly: Ethernet + 60-byte IPv4 + 60-byte TCP. */
#define SL_PARSE_PULL (ETH_HLEN + 60 + 60)
/* Offsets handed to pkt_ptr are bounded so the verifier can track pointer arithmetic. */
#define SL_PKT_OFF_MAX 512

enum sl_parse_result {
	SL_PARSE_IPV4 = 0,
	SL_PARSE_PASS = 1, /* not for us (IPv6, ARP, ...): reason in ctx->reason */
	SL_PARSE_DROP = 2, /* malformed */
};

/* pkt_ptr returns a pointer to len bytes at off, or NULL when the packet is shorter. */
#define pkt_ptr(skb, off, len) ({                                              \
	void *__d = (void *)(long)(skb)->data;                                 \
	void *__e = (void *)(long)(skb)->data_end;                             \
	__u32 __o = (off);                                                     \
	void *__p = NULL;                                                      \
	if (__o <= SL_PKT_OFF_MAX && __d + __o + (len) <= __e)                 \
		__p = __d + __o;                                               \
	__p;                                                                   \
})

/* ICMPv4 (linux/icmp.h drags in libc headers, so the few definitions we need live here). */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
	} un;
};

struct sl_sctp_hdr {
	__be16 sport;
	__be16 dport;
	__be32 vtag;
	__le32 crc;
};

SL_INLINE void parse_pull(struct __sk_buff *skb)
{
	__u32 want = skb->len < SL_PARSE_PULL ? skb->len : SL_PARSE_PULL;
	if ((long)skb->data_end - (long)skb->data < (long)want)
		bpf_skb_pull_data(skb, want);
}

/* parse_ipv4_csum_ok verifies the header checksum (options included). */
SL_INLINE int parse_ipv4_csum_ok(struct __sk_buff *skb, __u32 ihl)
{
	__u8 hdr[60];
	__u32 n = ihl;
	barrier_var(n);
	n &= 0x3c; /* the verifier needs a bounded, non-zero size */
	if (n < 20)
		return 0;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, hdr, n) < 0)
		return 0;
	__s64 sum = bpf_csum_diff(NULL, 0, (__be32 *)hdr, n, 0);
	return sum >= 0 && csum_fold((__u32)sum) == 0;
}

SL_INLINE int parse_tcp(struct sl_ctx *ctx, __u32 l4_len)
{
	struct tcphdr *th = pkt_ptr(ctx->skb, ctx->l4_off, sizeof(struct tcphdr));
	if (!th || l4_len < sizeof(*th))
		return SL_PARSE_DROP;
	__u32 doff = th->doff * 4;
	if (doff < sizeof(*th) || (ctx->frag == SL_FRAG_NONE && doff > l4_len))
		return SL_PARSE_DROP;
	ctx->sport = th->source;
	ctx->dport = th->dest;
	ctx->tcp_flags = ((__u8 *)th)[13];
	return SL_PARSE_IPV4;
}

SL_INLINE int parse_udp(struct sl_ctx *ctx, __u32 l4_len)
{
	struct udphdr *uh = pkt_ptr(ctx->skb, ctx->l4_off, sizeof(struct udphdr));
	if (!uh || l4_len < sizeof(*uh))
		return SL_PARSE_DROP;
	__u32 ulen = bpf_ntohs(uh->len);
	if (ulen < sizeof(*uh) || (ctx->frag == SL_FRAG_NONE && ulen > l4_len))
		return SL_PARSE_DROP;
	ctx->sport = uh->source;
	ctx->dport = uh->dest;
	return SL_PARSE_IPV4;
}

SL_INLINE int parse_icmp(struct sl_ctx *ctx, __u32 l4_len)
{
	struct icmphdr *ih = pkt_ptr(ctx->skb, ctx->l4_off, sizeof(struct icmphdr));
	if (!ih || l4_len < sizeof(*ih))
		return SL_PARSE_DROP;
	ctx->icmp_type = ih->type;
	ctx->icmp_code = ih->code;
	if (ih->type == ICMP_ECHO || ih->type == ICMP_ECHOREPLY) {
		ctx->sport = ih->un.echo.id;
		ctx->dport = ih->un.echo.id;
	}
	return SL_PARSE_IPV4;
}

SL_INLINE int parse_sctp(struct sl_ctx *ctx, __u32 l4_len)
{
	struct sl_sctp_hdr *sh = pkt_ptr(ctx->skb, ctx->l4_off, sizeof(struct sl_sctp_hdr));
	if (!sh || l4_len < sizeof(*sh))
		return SL_PARSE_DROP;
	ctx->sport = sh->sport;
	ctx->dport = sh->dport;
	return SL_PARSE_IPV4;
}

SL_INLINE int parse_l4(struct sl_ctx *ctx)
{
	__u32 l4_len = ctx->ip_len - ctx->ihl;
	if (ctx->frag == SL_FRAG_LATER)
		return SL_PARSE_IPV4; /* no L4 header: ports stay 0 */
	switch (ctx->proto) {
	case IPPROTO_TCP:
		return parse_tcp(ctx, l4_len);
	case IPPROTO_UDP:
		return parse_udp(ctx, l4_len);
	case IPPROTO_ICMP:
		return parse_icmp(ctx, l4_len);
	case IPPROTO_SCTP:
		return parse_sctp(ctx, l4_len);
	}
	return SL_PARSE_IPV4;
}

SL_INLINE int parse_ipv6(struct sl_ctx *ctx)
{
	struct ipv6hdr *ip6 = pkt_ptr(ctx->skb, ETH_HLEN, sizeof(struct ipv6hdr));
	if (!ip6 || ip6->version != 6) {
		ctx->reason = SL_R_DROP_MALFORMED;
		return SL_PARSE_DROP;
	}
	ctx->reason = SL_R_PASS_IPV6;
	return SL_PARSE_PASS;
}

/* parse_packet fills ctx from the packet; SL_PARSE_IPV4 means every header the pipeline will
 * read or rewrite is present and consistent. */
SL_INLINE int parse_packet(struct sl_ctx *ctx)
{
	struct __sk_buff *skb = ctx->skb;
	parse_pull(skb);
	struct ethhdr *eth = pkt_ptr(skb, 0, ETH_HLEN);
	if (!eth) {
		ctx->reason = SL_R_DROP_MALFORMED;
		return SL_PARSE_DROP;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(ctx);
	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		ctx->reason = SL_R_PASS_NON_IP;
		return SL_PARSE_PASS;
	}
	ctx->reason = SL_R_DROP_MALFORMED;
	struct iphdr *ip = pkt_ptr(skb, ETH_HLEN, sizeof(struct iphdr));
	if (!ip || ip->version != 4 || ip->ihl < 5)
		return SL_PARSE_DROP;
	__u32 ihl = ip->ihl * 4;
	__u32 tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl || ETH_HLEN + tot > skb->len)
		return SL_PARSE_DROP;
	__u16 frag_off = bpf_ntohs(ip->frag_off);
	ctx->ihl = ihl;
	ctx->ip_len = tot;
	ctx->l4_off = ETH_HLEN + ihl;
	ctx->saddr = ip->saddr;
	ctx->daddr = ip->daddr;
	ctx->proto = ip->protocol;
	ctx->ip_id = ip->id;
	ctx->df = (frag_off & 0x4000) != 0;
	if (frag_off & 0x1fff)
		ctx->frag = SL_FRAG_LATER;
	else if (frag_off & 0x2000)
		ctx->frag = SL_FRAG_FIRST;
	if (!parse_ipv4_csum_ok(skb, ihl))
		return SL_PARSE_DROP;
	int r = parse_l4(ctx);
	if (r == SL_PARSE_IPV4)
		ctx->reason = 0;
	return r;
}

#endif /* SLUICE_PARSE_H */
