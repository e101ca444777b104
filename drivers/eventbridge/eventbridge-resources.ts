import { stackOutputKeys } from '../../targets/aws/template-builder.ts';

/** An existing bus the eventbridge driver puts events on instead of creating one (a managed stack's, or the user's `busName`). */
export interface EventBridgeResources {
  readonly busName: string;
  /** The stack's rules on that bus, when a stack made them. */
  readonly ruleNames?: readonly string[];
}

/** The bus a managed stack's outputs (or the user's own resources, as outputs) name; undefined without one. */
export function eventBridgeResourcesFrom(outputs: Readonly<Record<string, string>>): EventBridgeResources | undefined {
  const busName = outputs[stackOutputKeys.eventBusName];
  if (!busName) return undefined;
  const ruleNames = outputs[stackOutputKeys.ruleNames];
  // The stack's output joins the rule names with commas (drivers/eventbridge/aws-stack.ts).
  return { busName, ...(ruleNames ? { ruleNames: ruleNames.split(',') } : {}) };
}
