/* verifier_reject.c — a program the verifier must reject (it reads packet memory without a
 * bounds check), so tests can prove the verifier log reaches the error. */
#include "../include/common.h"

SEC("tc")
int reject_unbounded(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct ethhdr *eth = data;
	/* No data_end check: the verifier refuses this access. */
	return eth->h_proto == bpf_htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
