import type { MetricSpec, SourceMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import { stackOutputKeys } from '../../targets/aws/template.ts';
import type { EventBridgePattern } from './schema.ts';

/**
 * Each rule's matches, invocations, failures, throttles and dead-lettered events, summed over
 * the rules. Rules on a custom bus are measured with both EventBusName and RuleName dimensions.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 *
 * @example eventBridgeCloudWatchMetrics({ EventBusName: 'b', RuleNames: 'r1,r2' }, pattern).length // 10
 */
export const eventBridgeCloudWatchMetrics: SourceMetricSpecs<EventBridgePattern> = (outputs) => {
  const ruleNames = outputs[stackOutputKeys.ruleNames]?.split(',').filter((name) => name.length > 0) ?? [];
  const eventBusName = outputs[stackOutputKeys.eventBusName];
  const custom = eventBusName !== undefined && eventBusName !== 'default';
  return ruleNames.flatMap((ruleName) => {
    const dimensions: Record<string, string> = custom ? { EventBusName: eventBusName, RuleName: ruleName } : { RuleName: ruleName };
    const m = (key: string, metricName: string): MetricSpec => ({ key, namespace: 'AWS/Events', metricName, stat: 'Sum', dimensions, combine: 'sum' });
    return [
      m('eventbridge.matched_events', 'MatchedEvents'),
      m('eventbridge.invocations', 'Invocations'),
      m('eventbridge.failed_invocations', 'FailedInvocations'),
      m('eventbridge.throttled_rules', 'ThrottledRules'),
      m('eventbridge.sent_to_dlq', 'InvocationsSentToDlq'),
    ];
  });
};
