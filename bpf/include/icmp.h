/* icmp.h — answers the datapath sends back out of the interface a packet came in on: ICMP
 * errors (port unreachable for a Service without backends, fragmentation needed when a packet
 * cannot be encapsulated) built in place around the quoted packet, and a TCP RST (kube-proxy's
 * REJECT for TCP). On tc egress (the host's own packet) the answer goes in, not out. */
#ifndef SLUICE_ICMP_H
#define SLUICE_ICMP_H

#include <linux/tcp.h>
#include "ctx.h"
#include "csum.h"
#include "parse.h"

/* The quoted part of an ICMP error: the IP header and 8 bytes of payload (RFC 792), or for TCP
 * the whole 20-byte base header (RFC 1812 4.3.2.3 allows more). Why TCP needs it: a segment a
 * local socket sent (veth) is CHECKSUM_PARTIAL, and the kernel refuses to trim such a packet
 * short of its TCP checksum field (bpf_skb_change_tail: -EINVAL), which made every
 * frag-needed for a sender on a veth fail. */
#define SL_ICMP_QUOTE_MAX (60 + 20)

/* icmp_answer_redirect sends the answer built in place back to the packet's sender: out of the
 * interface it arrived on (tc ingress), or — when the sender is this node's own stack and the
 * packet was on its way out (tc egress) — in through that interface's ingress, so the socket
 * sees the RST / port unreachable at once (ECONNREFUSED) instead of it leaving the node. */
SL_INLINE int icmp_answer_redirect(struct sl_ctx *ctx)
{
	return bpf_redirect(ctx->skb->ifindex, ctx->egress ? BPF_F_INGRESS : 0);
}

/* icmp_swap_macs turns the frame around: it leaves by the interface it arrived on. */
SL_INLINE int icmp_swap_macs(struct __sk_buff *skb, const struct ethhdr *orig)
{
	struct ethhdr eth = *orig;
	__builtin_memcpy(eth.h_dest, orig->h_source, ETH_ALEN);
	__builtin_memcpy(eth.h_source, orig->h_dest, ETH_ALEN);
	eth.h_proto = bpf_htons(ETH_P_IP);
	return bpf_skb_store_bytes(skb, 0, &eth, ETH_HLEN, 0);
}

/* icmp_send_error replaces the packet with an ICMP error from src to its sender, quoting its
 * IP header and first 8 payload bytes, and returns the redirect verdict (or < 0). */
SL_INLINE int icmp_send_error(struct sl_ctx *ctx, __u8 type, __u8 code, __u16 mtu, __be32 src)
{
	struct __sk_buff *skb = ctx->skb;
	__u32 quote = ctx->ihl + (ctx->proto == IPPROTO_TCP && ctx->frag == SL_FRAG_NONE ? 20 : 8);
	barrier_var(quote);
	quote &= 0x7c;
	if (quote < 28 || quote > ctx->ip_len || quote > SL_ICMP_QUOTE_MAX)
		return -1;
	struct ethhdr eth;
	if (bpf_skb_load_bytes(skb, 0, &eth, ETH_HLEN) < 0)
		return -1;
	__u8 buf[SL_ICMP_QUOTE_MAX] = {};
	if (bpf_skb_load_bytes(skb, ETH_HLEN, buf, quote) < 0)
		return -1;
	if (bpf_skb_change_tail(skb, ETH_HLEN + quote, 0) < 0)
		return -1;
	struct {
		struct iphdr ip;
		struct icmphdr icmp;
	} h = {};
	if (bpf_skb_adjust_room(skb, sizeof(h), BPF_ADJ_ROOM_MAC, 0) < 0)
		return -1;
	h.ip.version = 4;
	h.ip.ihl = 5;
	h.ip.tot_len = bpf_htons(sizeof(h) + quote);
	h.ip.ttl = 64;
	h.ip.protocol = IPPROTO_ICMP;
	h.ip.saddr = src;
	h.ip.daddr = ctx->saddr;
	h.ip.check = csum_ipv4_header(&h.ip);
	h.icmp.type = type;
	h.icmp.code = code;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		h.icmp.un.frag.mtu = bpf_htons(mtu);
	__s64 sum = bpf_csum_diff(NULL, 0, (__be32 *)&h.icmp, sizeof(h.icmp), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)buf, quote, (__u32)sum);
	h.icmp.checksum = csum_fold((__u32)sum);
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, sizeof(h), 0) < 0 || icmp_swap_macs(skb, &eth) < 0)
		return -1;
	return icmp_answer_redirect(ctx);
}

/* tcp_send_rst replaces a TCP segment with the RST its sender expects (RFC 9293 3.10.7.1):
 * seq = their ACK if they sent one, else ACK of everything they sent. */
SL_INLINE int tcp_send_rst(struct sl_ctx *ctx)
{
	struct __sk_buff *skb = ctx->skb;
	struct tcphdr *th = pkt_ptr(skb, ctx->l4_off, sizeof(struct tcphdr));
	if (!th)
		return -1;
	__u32 seg_len = ctx->ip_len - ctx->ihl - th->doff * 4;
	__u32 seq = bpf_ntohl(th->seq);
	__be32 ack_seq = th->ack_seq;
	__u8 flags = ((__u8 *)th)[13];
	struct ethhdr eth;
	if (bpf_skb_load_bytes(skb, 0, &eth, ETH_HLEN) < 0)
		return -1;
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} h = {};
	h.ip.version = 4;
	h.ip.ihl = 5;
	h.ip.tot_len = bpf_htons(sizeof(h));
	h.ip.ttl = 64;
	h.ip.protocol = IPPROTO_TCP;
	h.ip.saddr = ctx->daddr;
	h.ip.daddr = ctx->saddr;
	h.ip.check = csum_ipv4_header(&h.ip);
	h.tcp.source = ctx->dport;
	h.tcp.dest = ctx->sport;
	h.tcp.doff = 5;
	h.tcp.rst = 1;
	if (flags & 0x10) {
		h.tcp.seq = ack_seq;
	} else {
		h.tcp.ack = 1;
		seg_len += (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0);
		h.tcp.ack_seq = bpf_htonl(seq + seg_len);
	}
	struct {
		__be32 saddr;
		__be32 daddr;
		__u8 zero;
		__u8 proto;
		__be16 len;
	} ph = { .saddr = h.ip.saddr, .daddr = h.ip.daddr, .proto = IPPROTO_TCP, .len = bpf_htons(sizeof(h.tcp)) };
	__s64 sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&h.tcp, sizeof(h.tcp), (__u32)sum);
	h.tcp.check = csum_fold((__u32)sum);
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, sizeof(h), 0) < 0)
		return -1;
	if (bpf_skb_change_tail(skb, ETH_HLEN + sizeof(h), 0) < 0 || icmp_swap_macs(skb, &eth) < 0)
		return -1;
	return icmp_answer_redirect(ctx);
}

#endif /* SLUICE_ICMP_H */
