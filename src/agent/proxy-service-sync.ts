/**
 * serviceSyncFactory wires the service proxy (src/proxy) into the agent's loop. Until the proxy
 * lands it returns undefined: the agent then programs routes, globals and interfaces only.
 */
import type { AgentConfig } from "./agent-config.ts";
import type { ServiceSyncFactory } from "./service-sync.ts";

/** serviceSyncFactory returns the proxy's ServiceSync factory for this agent. */
export function serviceSyncFactory(_config: AgentConfig): ServiceSyncFactory | undefined {
  return undefined;
}
