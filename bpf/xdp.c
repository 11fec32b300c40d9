/* xdp.c — Sluice's XDP programs, for host endpoint interfaces with doNotTrack (untracked) ingress
 * policy (include/untracked.h). A separate object from tc.o: XDP programs cannot share a prog
 * array with tc ones. The agent loads it per interface with that interface's .rodata constants
 * (include/ctx.h: cfg_ifindex, cfg_vxlan_port) and the shared pinned maps, and attaches xdp_hep
 * by an XDP link (src/datapath/xdp-attacher.ts). */
#include "include/common.h"
#include "include/untracked.h"

/* xdp_hep: XDP on a host interface — doNotTrack ingress policy before the stack sees the packet. */
SEC("xdp")
int xdp_hep(struct xdp_md *xdp)
{
	return untracked_ingress(xdp);
}

/* xdp_pol_done: the continuation a doNotTrack program tail-calls (sl_pol_jump_xdp slot
 * SL_XDP_SLOT_DONE): drop, mark untracked, or pass. */
SEC("xdp")
int xdp_pol_done(struct xdp_md *xdp)
{
	return untracked_done(xdp);
}

char _license[] SEC("license") = "GPL";
