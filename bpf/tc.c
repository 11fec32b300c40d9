/* tc.c — Sluice's tc programs. One object with five programs rather than one object per
 * program: they share every map (one conntrack table must see both directions of a flow), and
 * the agent loads the object once per interface with that interface's .rodata constants (see
 * include/ctx.h), reusing the pinned maps; the programs it does not need on that interface are
 * simply not attached. Each entry point only picks its pipeline (include/pipeline.h). */
#include "include/common.h"
#include "include/pipeline.h"

/* from_wep: tc ingress on the host side of a pod's veth — what the pod sends. */
SEC("tc")
int from_wep(struct __sk_buff *skb)
{
	return pipe_from(skb, SL_ROLE_WEP);
}

/* to_wep: tc egress on the host side of a pod's veth — what the pod receives. */
SEC("tc")
int to_wep(struct __sk_buff *skb)
{
	return pipe_to(skb, SL_ROLE_WEP);
}

/* from_hep: tc ingress on a host interface — NodePort, VXLAN from other nodes, DSR. */
SEC("tc")
int from_hep(struct __sk_buff *skb)
{
	return pipe_from(skb, SL_ROLE_HEP);
}

/* to_hep: tc egress on a host interface. */
SEC("tc")
int to_hep(struct __sk_buff *skb)
{
	return pipe_to(skb, SL_ROLE_HEP);
}

/* pol_done: this interface's policy continuation, tail-called by a generated policy program from
 * slot cfg_pol_done_slot once it decided (include/policy.h). */
SEC("tc")
int pol_done(struct __sk_buff *skb)
{
	return pipe_pol_done(skb);
}

char _license[] SEC("license") = "GPL";
