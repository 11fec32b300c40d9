/**
 * The lab's context, as kind does for kubectl: `sluice lab up` adds `lab-<name>` pointing at the
 * lab's datastore directory and makes it current (remembering the context it replaced); `sluice
 * lab down` removes it and makes that previous context current again. So with a lab up, a plain
 * `sluice apply -f x.yaml` reaches the lab.
 */
import {
  findContext,
  type SluiceConfig,
  withContext,
  withCurrentContext,
  withoutContext,
} from "./sluice-config.ts";

/** labContextName is the context a lab adds: `lab-<name>`. */
export function labContextName(lab: string): string {
  return `lab-${lab}`;
}

/** withLabContext adds (or refreshes) the lab's context and makes it current. */
export function withLabContext(config: SluiceConfig, lab: string, datastoreDir: string): SluiceConfig {
  const name = labContextName(lab);
  const old = findContext(config, name);
  // A re-run of `lab up` keeps what was current before the first one.
  const previous = config.currentContext === name ? old?.previousContext : config.currentContext;
  const next = withContext(config, {
    name,
    datastore: { type: "file", dir: datastoreDir },
    lab,
    ...(previous !== undefined ? { previousContext: previous } : {}),
  });
  return withCurrentContext(next, name);
}

/** withoutLabContext removes the lab's context (restoring the previous current one); unchanged when absent. */
export function withoutLabContext(config: SluiceConfig, lab: string): SluiceConfig {
  const name = labContextName(lab);
  return findContext(config, name) === undefined ? config : withoutContext(config, name);
}
