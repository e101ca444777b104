import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction } from '../../runtime/lambda-function.ts';
import { syntheticHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { SqsEventSourceMapping } from '../../drivers/sqs/sqs-mapping.ts';
import { sqsPatternSchema } from '../../drivers/sqs/schema.ts';
import { sqsCost } from '../../drivers/sqs/cost.ts';
import { resolvePrices } from '../../analysis/pricing.ts';
import { VirtualQueue } from '../support/virtual-queue.ts';
import { account, functionSpec, sqsPattern } from '../support/scenarios.ts';

/**
 * Provisioned mode of the SQS event source mapping, on the virtual clock: minimum pollers
 * ready from the start, 10 concurrent invokes a poller, +1,000 concurrent invokes a minute
 * while messages wait, up to maximumPollers × 10.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
 */
function setUp(options: { fn?: Record<string, unknown>; pattern?: Record<string, unknown>; account?: Record<string, unknown> }) {
  const clock = new VirtualClock(0);
  const spec = functionSpec({ initDuration: '0ms', ...options.fn });
  const pattern = sqsPattern({ batchSize: 1, ...options.pattern });
  const queue = new VirtualQueue(clock, pattern.visibilityTimeout);
  const fn = new LambdaFunction({ spec, account: account(options.account), clock, handler: syntheticHandler(spec.handler as never, clock, seededRandom(1)) });
  const mapping = new SqsEventSourceMapping({ queue, queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', region: 'us-east-1', fn, pattern, clock, receiveWaitMs: 1000 });
  const stop = async (afterMs = 120_000) => {
    const stopping = mapping.stop();
    await clock.advanceBy(afterMs);
    await stopping;
  };
  return { clock, queue, fn, mapping, stop };
}

const bigAccount = { concurrencyLimit: 20_000, burstEnvironmentsPer10Seconds: 20_000 };

describe('sqs event source mapping in provisioned mode', () => {
  it('has the minimum pollers ready at the start, 10 concurrent invokes each', async () => {
    const { clock, queue, mapping, fn, stop } = setUp({ fn: { handler: { duration: '10s' }, timeout: '60s' }, pattern: { provisionedPollerConfig: { minimumPollers: 5 } } });
    for (let i = 0; i < 200; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(500);
    expect(mapping.pollerCount).toBe(50);
    expect(fn.concurrency).toBe(50);
    expect(mapping.provisionedPollers).toBe(5);
    await stop();
  });

  it('adds up to 1,000 concurrent invokes a minute while messages wait (standard mode: 300)', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '60s' }, timeout: '120s' }, pattern: { provisionedPollerConfig: { minimumPollers: 2 } }, account: bigAccount });
    for (let i = 0; i < 5000; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(10_500);
    // 2 pollers × 10 at the start, then 1,000/60 a second for 10 seconds.
    expect(mapping.pollerCount).toBe(Math.floor(20 + (10 * 1000) / 60));
    expect(mapping.provisionedPollers).toBe(Math.ceil(Math.floor(20 + (10 * 1000) / 60) / 10));
    await stop(700_000);
  });

  it('scales past standard mode’s 1,250 ceiling, up to maximumPollers × 10', async () => {
    const { clock, queue, mapping, fn, stop } = setUp({ fn: { handler: { duration: '600s' }, timeout: '900s' }, pattern: { provisionedPollerConfig: { minimumPollers: 2, maximumPollers: 200 } }, account: bigAccount });
    for (let i = 0; i < 3000; i += 1) queue.send('{}');
    mapping.start();
    // 20 + 16.7 a second passes 2,000 after about 119 s.
    await clock.advanceBy(90_000);
    expect(mapping.pollerCount).toBeGreaterThan(1250);
    await clock.advanceBy(40_000);
    expect(mapping.pollerCount).toBe(2000);
    expect(fn.concurrency).toBe(2000);
    expect(mapping.provisionedPollers).toBe(200);
    await stop(700_000);
  });

  it('is held to the function’s concurrency', async () => {
    const { clock, queue, mapping, fn, stop } = setUp({ fn: { handler: { duration: '30s' }, timeout: '60s', reservedConcurrency: 30 }, pattern: { provisionedPollerConfig: { minimumPollers: 10 } } });
    for (let i = 0; i < 1000; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(20_000);
    expect(mapping.pollerCount).toBe(30);
    expect(fn.concurrency).toBe(30);
    await stop();
  });

  it('scales back to its minimum, not to five, when receives come back empty', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '1s' } }, pattern: { batchSize: 10, provisionedPollerConfig: { minimumPollers: 3 } }, account: bigAccount });
    for (let i = 0; i < 20_000; i += 1) queue.send('{}');
    mapping.start();
    const pollers: number[] = [];
    for (let second = 0; second < 90; second += 1) {
      await clock.advanceBy(1000);
      pollers.push(mapping.pollerCount);
    }
    expect(Math.max(...pollers)).toBeGreaterThan(100);
    expect(queue.depth).toBe(0);
    expect(pollers.at(-1)).toBe(30);
    expect(mapping.provisionedPollers).toBe(3);
    await stop();
  });
});

describe('provisioned mode in the scenario', () => {
  const problems = (input: Record<string, unknown>) => {
    const parsed = sqsPatternSchema.safeParse({ source: 'sqs', ...input });
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes AWS’s defaults (2 minimum, 200 maximum) and ranges (2–200, 2–10,000)', () => {
    expect(sqsPattern({ provisionedPollerConfig: {} }).provisionedPollerConfig).toEqual({ minimumPollers: 2, maximumPollers: 200 });
    expect(problems({ provisionedPollerConfig: { minimumPollers: 1 } })).toEqual([expect.stringMatching(/^provisionedPollerConfig\.minimumPollers: /)]);
    expect(problems({ provisionedPollerConfig: { minimumPollers: 201, maximumPollers: 500 } })).toEqual([expect.stringMatching(/^provisionedPollerConfig\.minimumPollers: /)]);
    expect(problems({ provisionedPollerConfig: { maximumPollers: 10_001 } })).toEqual([expect.stringMatching(/^provisionedPollerConfig\.maximumPollers: /)]);
    expect(problems({ provisionedPollerConfig: { minimumPollers: 50, maximumPollers: 20 } })).toEqual(['provisionedPollerConfig.minimumPollers: minimumPollers cannot exceed maximumPollers']);
  });

  it('refuses provisioned mode with maximumConcurrency, as AWS does', () => {
    expect(problems({ maximumConcurrency: 50, provisionedPollerConfig: { minimumPollers: 2 } })).toEqual([expect.stringContaining('provisionedPollerConfig: provisionedPollerConfig and maximumConcurrency cannot be combined')]);
  });

  it('prices the minimum event pollers per event-poller-unit hour', () => {
    const prices = resolvePrices();
    const usage = { eventsSent: 1000, eventsAccepted: 1000, deliveries: 1000, invocations: 1000, eventsCompleted: 1000, resourceHours: 2, eventSizeBytes: 256 };
    const notes: string[] = [];
    const lines = sqsCost.lines(sqsPattern({ provisionedPollerConfig: { minimumPollers: 4 } }), usage, prices, notes);
    const pollers = lines.find((line) => line.item.includes('event poller'));
    expect(pollers).toMatchObject({ quantity: 8 });
    expect(pollers!.usd).toBeCloseTo(8 * prices.rows.lambdaSqsEventPollerUnitHourUsd.value, 10);
    expect(sqsCost.lines(sqsPattern({}), usage, prices, []).some((line) => line.item.includes('event poller'))).toBe(false);
  });
});
