/**
 * The lab's public API: what `sluice lab` (src/cli/lab-command.ts) may use. Product code reaches
 * the lab only through this file (eslint enforces it), so the lab's insides can change freely.
 */
export { destroyLab } from "./destroy-lab.ts";
export { createLab, openLab } from "./lab.ts";
export type { Lab } from "./lab.ts";
export { DEFAULT_LAB_NAME } from "./lab-spec.ts";
export { formatLabStatus, labStatus } from "./lab-status.ts";
export { nsenterArgv, spawnInNetns } from "./netns-process.ts";
export { forwardSignals } from "./forward-signals.ts";
export { isSameProcess } from "./process-identity.ts";
export { startDemo } from "./demo/start-demo.ts";
export { checkPorts, parseLabelsFlag, parsePortFlag } from "./pod-flags.ts";
export type { PodPort } from "./pod-flags.ts";
