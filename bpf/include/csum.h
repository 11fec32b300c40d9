/* csum.h — checksum helpers: the kernel's incremental csum_replace for header fields, and full
 * RFC 1071 sums (via bpf_csum_diff) for headers the datapath writes from scratch. */
#ifndef SLUICE_CSUM_H
#define SLUICE_CSUM_H

#include "common.h"

#define SL_IP_CSUM_OFF (ETH_HLEN + 10)

SL_INLINE __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* csum_ipv4_header returns the checksum of a 20-byte header whose check field is zero. */
SL_INLINE __u16 csum_ipv4_header(struct iphdr *ip)
{
	__s64 sum = bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0);
	return csum_fold((__u32)sum);
}

/* csum_l4_update fixes the TCP/UDP checksum at l4_csum_off for a changed 4- or 2-byte field;
 * pseudo says the field is part of the pseudo-header (an address). UDP's "no checksum" (0)
 * stays 0, and a computed 0 becomes 0xffff (BPF_F_MARK_MANGLED_0). */
SL_INLINE int csum_l4_update(struct __sk_buff *skb, __u32 l4_csum_off, __u8 proto,
			      __u32 from, __u32 to, __u32 size, int pseudo)
{
	__u64 flags = size;
	if (pseudo)
		flags |= BPF_F_PSEUDO_HDR;
	if (proto == IPPROTO_UDP)
		flags |= BPF_F_MARK_MANGLED_0;
	return bpf_l4_csum_replace(skb, l4_csum_off, from, to, flags);
}

#endif /* SLUICE_CSUM_H */
