/* policy.h — where network policy runs. The policy issue will generate one program per endpoint
 * and direction and tail-call it through sl_policy (slot SL_POLICY_SLOT_*); the program then
 * tail-calls back into the "accepted" half of the pipeline. Until then every new flow is
 * allowed here, and established flows never reach this point (conntrack fast path). */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include "ctx.h"

#define SL_POLICY_SLOT_FROM_EP 0
#define SL_POLICY_SLOT_TO_EP 1

/* policy_allows returns 1 when the new flow may proceed. */
SL_INLINE int policy_allows(struct sl_ctx *ctx, __u32 slot)
{
	(void)ctx;
	(void)slot;
	return 1;
}

#endif /* SLUICE_POLICY_H */
