/**
 * LabelSelector (meta/v1): matchLabels and matchExpressions, as Kubernetes validates them —
 * In/NotIn need values, Exists/DoesNotExist take none. An empty selector selects everything.
 */
import { z } from "zod";
import { checkedString, labelMap } from "./field-schemas.ts";
import { labelKeyProblem, labelValueProblem } from "./dns-name.ts";

const requirement = z
  .strictObject({
    key: checkedString(labelKeyProblem),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(checkedString((v) => labelValueProblem(v))).optional(),
  })
  .check((ctx) => {
    const { operator, values } = ctx.value;
    const n = values?.length ?? 0;
    if ((operator === "In" || operator === "NotIn") && n === 0) {
      ctx.issues.push({
        code: "custom",
        message: `operator ${JSON.stringify(operator)} needs at least one value`,
        input: ctx.value,
        path: ["values"],
      });
    }
    if ((operator === "Exists" || operator === "DoesNotExist") && n > 0) {
      ctx.issues.push({
        code: "custom",
        message: `operator ${JSON.stringify(operator)} takes no values`,
        input: ctx.value,
        path: ["values"],
      });
    }
  });

/** labelSelector is a meta/v1 LabelSelector. */
export const labelSelector = z.strictObject({
  matchLabels: labelMap.optional(),
  matchExpressions: z.array(requirement).optional(),
});

/** LabelSelector is a validated meta/v1 LabelSelector. */
export type LabelSelector = z.output<typeof labelSelector>;
