/** The Calico selector language: parse once, evaluate against labels, canonical text. Pure. Re-exports only. */
export { parseSelector, SelectorError, selectorProblem, type Selector } from "./parse-selector.ts";
export {
  evaluateSelectorNode,
  formatSelectorNode,
  selectorLabels,
  type LabelMap,
  type SelectorNode,
  type ValueOp,
} from "./selector-node.ts";
export { matchesSelector } from "./matches-selector.ts";
