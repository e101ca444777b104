import { fileURLToPath } from 'node:url';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { AwsTemplateError } from '../../targets/aws/errors.ts';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { getAtt, ref, stackOutputKeys, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
import { functionNameOutput } from '../bring-your-own.ts';
import type { EventBridgePattern } from './schema.ts';

/**
 * The `source` the eventbridge driver puts on its events on the managed-stack path when the
 * pattern has no rules (drivers/eventbridge/eventbridge-driver.ts), so the stack's default
 * rule matches it besides the pattern's `eventSource`.
 */
export const sluiceEventSourceName = 'sluice.load';

/**
 * The event pattern of the stack's rule when the pattern gives none: every event of the
 * pattern's `eventSource` (the schema's "one rule matching every event of eventSource"),
 * and of {@link sluiceEventSourceName}, the source the driver sends on the managed-stack
 * path for a pattern without rules.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *
 * @example
 * defaultEventPatternFor('sluice.loadtest') // { source: ['sluice.loadtest', 'sluice.load'] }
 */
export function defaultEventPatternFor(eventSource: string): { source: string[] } {
  return { source: [...new Set([eventSource, sluiceEventSourceName])] };
}

/** One rule of the stack: the pattern's rule name (or `rule-<n>`, as the driver names it) and its event pattern as an object. */
interface StackRule {
  name: string;
  eventPattern: Record<string, unknown>;
}

/** An event pattern given as a mapping or as JSON text (both allowed by the schema), as an object. */
function eventPatternObject(eventPattern: Record<string, unknown> | string, path: string, problems: string[]): Record<string, unknown> {
  if (typeof eventPattern !== 'string') return eventPattern;
  try {
    const parsed: unknown = JSON.parse(eventPattern);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push(`${path}: the JSON text is not an object`);
  return {};
}

/** The pattern's rules, or the default rule `all-events` on its `eventSource` ({@link defaultEventPatternFor}). */
function stackRulesOf(b: TemplateBuilder, s: EventBridgePattern): StackRule[] {
  if (!s.rules) return [{ name: 'all-events', eventPattern: defaultEventPatternFor(s.eventSource) }];
  const problems: string[] = [];
  const rules = s.rules.map((rule, index) => ({ name: rule.name ?? `rule-${index + 1}`, eventPattern: eventPatternObject(rule.eventPattern, `rules[${index}].eventPattern`, problems) }));
  if (problems.length > 0) throw new AwsTemplateError(problems.map((problem) => `pattern "${b.patternName}" ${problem}`), 'Fix these pattern settings.');
  return rules;
}

function addEventBridgeSource(b: TemplateBuilder, s: EventBridgePattern): void {
  const rules = stackRulesOf(b, s);
  let busName: unknown;
  if (s.busName) {
    busName = s.busName;
    b.bringYourOwn.push({ field: 'busName', value: s.busName });
    b.output(stackOutputKeys.eventBusName, s.busName, 'Your event bus (not created by sluice)');
  } else {
    b.add('SourceEventBus', 'AWS::Events::EventBus', { Name: b.name('', 256) });
    busName = ref('SourceEventBus');
    b.output(stackOutputKeys.eventBusName, ref('SourceEventBus'), 'Event bus the load generator puts events on');
    b.output(stackOutputKeys.eventBusArn, getAtt('SourceEventBus', 'Arn'), 'ARN of the event bus');
  }
  if (s.putEventsRequestsPerSecond !== awsDefaults.eventBridgePutEventsRequestsPerSecond.value || s.putEventsBurstRequests !== undefined) {
    b.notes.push('putEventsRequestsPerSecond/putEventsBurstRequests: on AWS the PutEvents quota is the account’s (Service Quotas), not a property of the stack.');
  }
  if (s.invocationsPerSecond !== undefined) {
    b.notes.push('invocationsPerSecond: on AWS the invocation quota is the account’s (Service Quotas), not a property of the stack.');
  }
  const consumer = b.consumer;
  if (!consumer) return;

  const failure = b.failureQueue();
  const ruleIds: string[] = [];
  const ruleNames: string[] = [];
  // One rule per rule of the pattern (or the default rule), each with the consumer as its
  // only target: EventBridge invokes the target once per rule an event matches.
  rules.forEach((rule, index) => {
    const logicalId = `SourceRule${index + 1}`;
    const name = b.name(`-${rule.name}`, 64);
    ruleIds.push(logicalId);
    ruleNames.push(name);
    b.add(logicalId, 'AWS::Events::Rule', {
      Name: name,
      Description: s.rules
        ? `sluice rule ${rule.name} of pattern ${b.patternName}`
        : `sluice default rule of pattern ${b.patternName}: every event of source ${(rule.eventPattern.source as string[]).join(' or ')}`,
      EventBusName: busName,
      EventPattern: rule.eventPattern,
      State: 'ENABLED',
      Targets: [
        {
          Id: 'sluice-consumer',
          Arn: consumer.arn,
          // Events EventBridge cannot hand to Lambda at all; Lambda's own retries are the EventInvokeConfig's.
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
          DeadLetterConfig: { Arn: failure.arn },
        },
      ],
    });
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
    b.add(`${logicalId}Permission`, 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: consumer.functionName,
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(logicalId, 'Arn'),
    });
  });
  b.add('FailureQueuePolicy', 'AWS::SQS::QueuePolicy', {
    Queues: [failure.url],
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: failure.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': ruleIds.map((id) => getAtt(id, 'Arn')) } },
        },
      ],
    },
  });
  b.asyncInvokeConfig(s.asyncInvoke);
  if (!s.rules && s.eventSource !== sluiceEventSourceName) {
    b.notes.push(
      `the default rule matches source ${s.eventSource} (the pattern's eventSource) and ${sluiceEventSourceName}, the source the load generator puts on its events for a managed stack when the pattern has no rules.`,
    );
  }
  if (ruleIds.length > 1) {
    // fanOut has no AWS setting: EventBridge invokes the target once per matching rule either way.
    b.notes.push(
      `${ruleIds.length} rules each invoke the consumer: an event matching several is delivered once per rule (fanOut ${s.fanOut}: sluice counts the extra deliveries as ${s.fanOut ? 'fan-out copies' : 'duplicates'}).`,
    );
  }
  b.output(stackOutputKeys.ruleNames, ruleNames.join(','), 'Rule names, comma-separated');
}

/**
 * The eventbridge pattern on a managed stack: a bus (or yours), one rule per rule of the
 * pattern with the consumer as target, and Lambda's asynchronous-invoke settings.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html
 */
export const eventBridgeAwsStack: AwsStackPiece<EventBridgePattern> = {
  source: 'eventbridge',
  resourceNoun: 'bus',
  bringYourOwnField: 'busName',
  pollsForConsumer: false,
  bringYourOwnOutputs: (pattern) => ({ ...functionNameOutput(pattern), ...(pattern.busName ? { [stackOutputKeys.eventBusName]: pattern.busName } : {}) }),
  consumerCanBeWired: () => true,
  addSource: addEventBridgeSource,
  consumerReader: { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readEventBridgeEvent' },
  tagStyles: { 'AWS::Events::EventBus': 'list', 'AWS::Events::Rule': 'list', 'AWS::Lambda::Permission': 'none', 'AWS::SQS::QueuePolicy': 'none' },
};
