import type { Scenario } from '../scenario/schema.ts';
import { patternNameOf } from '../scenario/schema.ts';
import { sourceModuleFor, type SourceRegistry } from '../drivers/registry.ts';
import type { EmbeddedServiceName } from '../localstack/embedded/embedded-services.ts';
import { decideEndpointPatterns, probeEndpoint, probeCalls, type EndpointDecision, type EndpointProbe, type PatternNeeds, type ProbedService } from '../localstack/endpoint-probe.ts';
import { buildStackTemplate } from '../targets/aws/template.ts';
import type { AwsStackPiece, StackPattern } from '../targets/aws/stack-piece.ts';

/**
 * What each embedded service of a source asks of an endpoint the quota edge forwards it to.
 * The embedded `lambda` service is sluice's function directory: with sluice's consumer, the
 * endpoint's EventBridge rules and S3 notifications must hand events to the run's runtime
 * through it, which only sluice's own endpoint does.
 */
const probedServiceOfEmbedded = {
  sqs: 'sqs',
  kinesis: 'kinesis',
  eventbridge: 'events',
  s3: 's3',
  lambda: 'sluice-functions',
} as const satisfies Record<EmbeddedServiceName, ProbedService>;

/** A managed stack needs CloudFormation to deploy it, Lambda for its consumer and SQS for the consumer's completion records. */
const managedStackServices: readonly ProbedService[] = ['cloudformation', 'lambda', 'sqs'];

const isProbed = (service: string): service is ProbedService => service in probeCalls;

/**
 * What each pattern needs of the endpoint. With sluice's consumer: the source's embedded
 * services, forwarded by the quota edge. With the endpoint's own (`--consumer localstack`):
 * CloudFormation, Lambda, SQS and the source's service, and the stack template itself (some
 * endpoints cannot deploy every template).
 *
 * @example
 * endpointNeedsOf(scenario, scenario.patterns, { consumer: 'sluice', runId })
 * // [{ patternName: 'sqs', source: 'sqs', services: ['sqs'] }, { patternName: 'eventbridge', …, services: ['events', 'sluice-functions', 'sqs'] }]
 */
export function endpointNeedsOf(
  scenario: Scenario,
  patterns: Scenario['patterns'],
  options: { consumer: 'sluice' | 'localstack'; runId: string; sources?: SourceRegistry },
): PatternNeeds[] {
  return patterns.map((pattern) => {
    const module = sourceModuleFor(pattern.source, options.sources);
    const patternName = patternNameOf(pattern);
    if (options.consumer === 'sluice') {
      const services = [...new Set(module.embeddedServices.map((service) => probedServiceOfEmbedded[service]))].sort();
      return { patternName, source: pattern.source, services };
    }
    const services = [...new Set([...managedStackServices, ...module.localstackServices.filter(isProbed)])].sort();
    let stackTemplate: unknown;
    try {
      stackTemplate = buildStackTemplate(scenario, pattern, module.aws as AwsStackPiece<StackPattern>, options.runId);
    } catch {
      // A template that cannot be built is refused with its own error when the pattern runs.
      stackTemplate = undefined;
    }
    return { patternName, source: pattern.source, services, ...(stackTemplate ? { stackTemplate } : {}) };
  });
}

/**
 * Probes the endpoint for what the patterns need and decides which it carries: the run
 * runs those and reports each other one with what the endpoint lacks and what to do.
 */
export async function checkEndpointPatterns(options: {
  endpoint: string;
  scenario: Scenario;
  patterns: Scenario['patterns'];
  consumer: 'sluice' | 'localstack';
  runId: string;
  sources?: SourceRegistry;
}): Promise<EndpointDecision & { probe: EndpointProbe }> {
  const needs = endpointNeedsOf(options.scenario, options.patterns, options);
  const probe = await probeEndpoint(options.endpoint, [...new Set(needs.flatMap((need) => need.services))], { region: options.scenario.region });
  return { probe, ...decideEndpointPatterns(probe, needs, options.consumer === 'sluice' ? 'sluice' : 'endpoint') };
}
