/**
 * matchesSelector: evaluate a parsed selector against a label map (Calico's `Evaluate`).
 */
import type { Selector } from "./parse-selector.ts";
import { evaluateSelectorNode, type LabelMap } from "./selector-node.ts";

/** matchesSelector is true when `labels` satisfy `selector`. */
export function matchesSelector(selector: Selector, labels: LabelMap): boolean {
  return evaluateSelectorNode(selector.root, labels);
}
