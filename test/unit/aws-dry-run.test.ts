import { awsPrices, pricesAsOf } from '../../analysis/pricing.ts';
import { describe, expect, it } from 'vitest';
import { scenarioSchema, type Scenario, type ScenarioInput } from '../../scenario/schema.ts';
import { costAssumptions, formatAwsPlan, planAwsRun } from '../../run/aws-dry-run.ts';

/** A validated scenario: patterns (existing resources included) go through the schema like a file's. */
function scenarioWith(overrides: Partial<ScenarioInput>, patterns?: ScenarioInput['patterns']): Scenario {
  return scenarioSchema.parse({
    name: 'orders',
    workload: { phases: [{ duration: 60, arrivalRate: 100 }] },
    patterns: patterns ?? [{ source: 'sqs' }],
    ...overrides,
  });
}

function costOf(plan: ReturnType<typeof planAwsRun>, item: RegExp) {
  const found = plan.patterns[0].cost.find((c) => item.test(c.item));
  if (!found) throw new Error(`no cost line matches ${item}`);
  return found;
}

describe('aws dry run', () => {
  it('sums the phases, pauses included, and counts events from arrivals × eventsPerArrival', () => {
    const plan = planAwsRun(
      scenarioWith({
        workload: {
          phases: [{ duration: 60, arrivalRate: 10 }, { pause: 30 }, { duration: 120, arrivalRate: 10, rampTo: 50 }],
          eventsPerArrival: 2,
        },
      }),
    );
    expect(plan.durationMs).toBe(210_000);
    // 60 s × 10/s + 120 s × (10 + 50) / 2 per s = 600 + 3600 arrivals, 2 events each.
    expect(plan.eventsPerPattern).toBe(8_400);
    expect(plan.drainTimeoutMs).toBe(60_000);
  });

  it('lists the stack and its resources per pattern without calling AWS', () => {
    const plan = planAwsRun(scenarioWith({}), { runId: 'r1' });
    expect(plan.patterns).toHaveLength(1);
    const pattern = plan.patterns[0];
    expect(pattern.stackName).toBe('sluice-orders-sqs-r1');
    expect(pattern.resources.map((r) => r.logicalId)).toEqual([
      'SinkQueue',
      'ConsumerLogGroup',
      'ConsumerRole',
      'ConsumerFunction',
      'SourceDeadLetterQueue',
      'SourceQueue',
      'SourceEventSourceMapping',
    ]);
    expect(pattern.consumer).toBe('synthetic');
    expect(pattern.bringYourOwn).toEqual([]);
  });

  it('prices Lambda from invocations, duration and memory, full batches to one event each', () => {
    // 6,000 events, batches of 10, 50 ms handler, 1024 MB arm64.
    const plan = planAwsRun(scenarioWith({ function: { memoryMb: 1024, architecture: 'arm64', handler: { duration: '50ms' }, initDuration: 0 } }));
    expect(plan.patterns[0].invocations).toEqual({ low: 600, high: 6_000 });
    const requests = costOf(plan, /^Lambda requests/);
    expect(requests.usdLow).toBeCloseTo((600 / 1e6) * 0.2, 10);
    expect(requests.usdHigh).toBeCloseTo((6_000 / 1e6) * 0.2, 10);
    const duration = costOf(plan, /^Lambda duration/);
    const billedSec = (50 + costAssumptions.sinkWriteMs) / 1000;
    expect(duration.usdHigh).toBeCloseTo(6_000 * billedSec * 1 * awsPrices.lambdaGbSecondArm64Usd.value, 10);
    expect(duration.usdLow).toBeCloseTo(600 * billedSec * 1 * awsPrices.lambdaGbSecondArm64Usd.value, 10);
  });

  it('charges x86_64 more than arm64 for the same work', () => {
    const arm = planAwsRun(scenarioWith({ function: { architecture: 'arm64' } }));
    const x86 = planAwsRun(scenarioWith({ function: { architecture: 'x86_64' } }));
    expect(costOf(x86, /^Lambda duration/).usdHigh).toBeGreaterThan(costOf(arm, /^Lambda duration/).usdHigh);
  });

  it('adds retries at the error rate and provisioned concurrency for the stack’s lifetime', () => {
    const plan = planAwsRun(scenarioWith({ function: { handler: { errorRate: 0.5 }, provisionedConcurrency: 2 } }));
    // maxReceiveCount 3: 1 + 0.5 + 0.25 attempts per event.
    expect(plan.patterns[0].invocations.high).toBe(Math.round(6_000 * 1.75));
    const provisioned = costOf(plan, /provisioned concurrency/);
    const lifetimeSec = (60_000 + 60_000 + costAssumptions.stackOverheadMs) / 1000;
    expect(provisioned.quantity).toBeCloseTo(2 * (128 / 1024) * lifetimeSec, 6);
  });

  it('prices each source from its own table', () => {
    const kinesis = planAwsRun(scenarioWith({}, [{ source: 'kinesis', shards: 4 }]));
    const shardHours = costOf(kinesis, /shard-hours/);
    expect(shardHours.quantity).toBe(4); // 2 min of load + drain + overhead, rounded up to one hour
    expect(shardHours.usdHigh).toBeCloseTo(4 * awsPrices.kinesisShardHourUsd.value, 10);

    // The parsed pattern says streamMode, not mode: an on-demand stream is priced as one.
    const onDemand = planAwsRun(scenarioWith({}, [{ source: 'kinesis', mode: 'on-demand' }]));
    expect(costOf(onDemand, /on-demand stream-hours/).quantity).toBe(1);
    expect(onDemand.patterns[0].cost.some((c) => /shard-hours/.test(c.item))).toBe(false);

    const http = planAwsRun(scenarioWith({}, [{ source: 'apigateway', type: 'http' }]));
    const rest = planAwsRun(scenarioWith({}, [{ source: 'apigateway', type: 'rest' }]));
    expect(costOf(http, /API Gateway/).usdHigh).toBeCloseTo((6_000 / 1e6) * 1.0, 10);
    expect(costOf(rest, /API Gateway/).usdHigh).toBeCloseTo((6_000 / 1e6) * 3.5, 10);

    // Three rules: an event matching all three is delivered three times, whatever fanOut says about counting them.
    const rules = ['a', 'b', 'c'].map((name) => ({ name, eventPattern: { source: ['sluice.loadtest'] } }));
    const eventbridge = planAwsRun(scenarioWith({}, [{ source: 'eventbridge', rules, fanOut: true }]));
    expect(costOf(eventbridge, /EventBridge custom events/).quantity).toBe(6_000);
    expect(eventbridge.patterns[0].invocations.high).toBe(18_000);

    const s3 = planAwsRun(scenarioWith({}, [{ source: 's3' }]));
    expect(costOf(s3, /S3 PUT/).usdHigh).toBeCloseTo(6 * awsPrices.s3PutRequestsPerThousandUsd.value, 10);
  });

  it('shows bring-your-own resources and does not price them', () => {
    const plan = planAwsRun(scenarioWith({}, [{ source: 's3', bucket: 'my-bucket' }]));
    expect(plan.patterns[0].bringYourOwn).toEqual([{ field: 'bucket', value: 'my-bucket' }]);
    expect(plan.patterns[0].consumer).toBe('none');
    expect(plan.patterns[0].deploysStack).toBe(false);
    expect(plan.patterns[0].cost.map((c) => c.item)).toEqual(['CloudWatch GetMetricData']);
    const text = formatAwsPlan(plan);
    expect(text).toMatch(/uses your bucket: my-bucket \(not created\)/);
    expect(text).toMatch(/pattern s3 \(s3\) → no stack: sluice creates nothing, it sends load and reads CloudWatch/);
    expect(text).toMatch(/billed to your account and not included/);
    expect(text).not.toMatch(/creates \d+ resources/);
  });

  it('plans the synthetic consumer on your queue, and no stack with your function too', () => {
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders';
    const consumerOnly = planAwsRun(scenarioWith({}, [{ source: 'sqs', queueUrl }])).patterns[0];
    expect(consumerOnly).toMatchObject({ deploysStack: true, consumer: 'synthetic' });
    expect(consumerOnly.resources.map((r) => r.logicalId)).not.toContain('SourceQueue');
    expect(consumerOnly.cost.map((c) => c.item)).toContain('Lambda requests');
    const yours = planAwsRun(scenarioWith({}, [{ source: 'sqs', queueUrl, functionName: 'orders-consumer' }])).patterns[0];
    expect(yours).toMatchObject({ deploysStack: false, consumer: 'yours', resources: [] });
    expect(yours.cost.map((c) => c.item)).toEqual(['CloudWatch GetMetricData']);
  });

  it('prints a plan a person can read', () => {
    const text = formatAwsPlan(planAwsRun(scenarioWith({}, [{ source: 'sqs' }, { source: 'kinesis', shards: 2 }]), { runId: 'r1' }));
    expect(text).toMatch(/^sluice dry run — orders on aws \(us-east-1\)\n/);
    expect(text).toMatch(/duration 1m \(\+ drain up to 1m\), 6,000 events per pattern/);
    expect(text).toMatch(/pattern sqs \(sqs\) → stack sluice-orders-sqs-r1/);
    expect(text).toMatch(/pattern kinesis \(kinesis\) → stack sluice-orders-kinesis-r1/);
    expect(text).toMatch(/AWS::Lambda::EventSourceMapping\s+SourceEventSourceMapping/);
    expect(text).toMatch(/per million events/);
    expect(text).toMatch(/estimated total \$[\d.]+–\$[\d.]+ \(list prices \(2025, us-east-1\), free tiers ignored/);
  });

  it('prices from sluice’s one dated table of list prices, with the scenario’s overrides', () => {
    expect(planAwsRun(scenarioWith({})).prices.recordedAt).toBe(pricesAsOf);
    const overridden = planAwsRun(scenarioWith({ prices: { lambdaRequestsPerMillionUsd: 0.1 } }));
    expect(costOf(overridden, /^Lambda requests/).usdHigh).toBeCloseTo((6_000 / 1e6) * 0.1, 10);
    expect(overridden.prices.note).toMatch(/overridden: lambdaRequestsPerMillionUsd/);
  });

  it('prices the source with its own cost model at both ends: full batches and one event per invocation', () => {
    // 6,000 messages, batches of 10, in a stack that lives 1 min of load + 1 min of drain + 10 min.
    const plan = planAwsRun(scenarioWith({}, [{ source: 'sqs' }]));
    const receives = costOf(plan, /^SQS standard receive/);
    expect(receives.usdLow).toBeCloseTo((600 / 1e6) * 0.4, 10);
    expect(receives.usdHigh).toBeCloseTo((6_000 / 1e6) * 0.4, 10);
    expect(costOf(plan, /^SQS standard send/).quantity).toBe(6_000);
    // Five pollers long-polling 20 s at a time for 12 minutes.
    expect(costOf(plan, /^SQS standard empty receives/).quantity).toBe(180);
    const s3 = planAwsRun(scenarioWith({}, [{ source: 's3' }]));
    expect(costOf(s3, /^S3 LIST requests/).quantity).toBe(6);
  });
});
