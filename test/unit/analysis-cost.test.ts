import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../analysis/cost.ts';
import { awsPrices, priceOverridesSchema, pricesAsOf, resolvePrices } from '../../analysis/pricing.ts';
import { loadRunFixture, makePattern } from '../fixtures/run-results/helpers.ts';
import { sqsCost } from '../../drivers/sqs/cost.ts';
import { kinesisCost } from '../../drivers/kinesis/cost.ts';
import { eventBridgeCost } from '../../drivers/eventbridge/cost.ts';
import { s3Cost } from '../../drivers/s3/cost.ts';
import { apiGatewayCost } from '../../drivers/apigateway/cost.ts';

function lineUsd(cost: ReturnType<typeof estimateCost>, startsWith: string): number {
  const line = cost.lines.find((l) => l.item.startsWith(startsWith));
  if (!line) throw new Error(`no line "${startsWith}" in ${cost.lines.map((l) => l.item).join(', ')}`);
  return line.usd;
}

describe('price table', () => {
  it('names a source page for every row', () => {
    for (const [name, row] of Object.entries(awsPrices)) {
      expect(row.source, name).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(row.value, name).toBeGreaterThan(0);
    }
  });

  it('lays a partial table over the list prices and says which rows changed', () => {
    const prices = resolvePrices({ lambdaGbSecondArm64Usd: 0.00001, sqsStandardRequestsPerMillionUsd: { value: 0.3, source: 'EDP rate card' } });
    expect(prices.rows.lambdaGbSecondArm64Usd.value).toBe(0.00001);
    expect(prices.rows.sqsStandardRequestsPerMillionUsd).toMatchObject({ value: 0.3, source: 'EDP rate card' });
    expect(prices.rows.lambdaRequestsPerMillionUsd.value).toBe(0.2);
    expect(prices.overridden).toEqual(['lambdaGbSecondArm64Usd', 'sqsStandardRequestsPerMillionUsd']);
    expect(prices.asOf).toBe(pricesAsOf);
  });

  it('rejects unknown or negative overrides in a scenario', () => {
    expect(priceOverridesSchema.safeParse({ lambdaGbSecondArm64Usd: 0.00001 }).success).toBe(true);
    expect(priceOverridesSchema.safeParse({ lambdaGbSecondUsd: 0.00001 }).success).toBe(false);
    expect(priceOverridesSchema.safeParse({ s3PutRequestsPerThousandUsd: -1 }).success).toBe(false);
  });
});

describe('estimateCost: Lambda', () => {
  it('prices requests and GB-seconds from invocations × mean duration × memory (x86_64)', () => {
    // 1,000,000 invocations × 100 ms × 1 GB = 100,000 GB-s.
    const cost = estimateCost(makePattern({ source: 'custom' }));
    expect(lineUsd(cost, 'Lambda requests')).toBeCloseTo(0.2, 10); // 1M × $0.20/M
    expect(lineUsd(cost, 'Lambda duration')).toBeCloseTo(1.66667, 10); // 100,000 × $0.0000166667
    expect(cost.totalUsd).toBeCloseTo(1.86667, 10);
    expect(cost.perMillionEventsUsd).toBeCloseTo(1.86667, 10);
    expect(cost.pricesAsOf).toBe(pricesAsOf);
  });

  it('uses the arm64 rate for arm64 functions', () => {
    const cost = estimateCost(makePattern({ source: 'custom', function: { memoryMb: 512, architecture: 'arm64' } }));
    // 1,000,000 × 0.1 s × 0.5 GB = 50,000 GB-s × $0.0000133334.
    expect(lineUsd(cost, 'Lambda duration (arm64, 512 MB)')).toBeCloseTo(0.66667, 10);
  });

  it('bills the init phase of cold starts as duration', () => {
    const cost = estimateCost(
      makePattern({ source: 'custom', summary: { coldStarts: 100 }, latency: { initDurationMs: { count: 100, p50: 250, p90: 250, p95: 250, p99: 250, max: 250, mean: 250 } } }),
    );
    // 100 × 0.25 s × 1 GB = 25 GB-s × $0.0000166667.
    expect(lineUsd(cost, 'Lambda init duration')).toBeCloseTo(0.0004166675, 12);
  });

  it('notes the Lambda defaults it had to assume', () => {
    const cost = estimateCost(makePattern({ source: 'custom', function: {} }));
    expect(lineUsd(cost, 'Lambda duration (x86_64, 128 MB)')).toBeCloseTo(12_500 * 0.0000166667, 10);
    expect(cost.notes).toEqual(
      expect.arrayContaining([expect.stringContaining('assumed 128 MB'), expect.stringContaining('assumed x86_64'), expect.stringContaining('no source prices for "custom"')]),
    );
  });
});

describe('estimateCost: sources', () => {
  it('sqs: sends, receives and deletes, 10 messages per call', () => {
    // Full batches: 100,000 invocations of 10 messages.
    const cost = estimateCost(makePattern({ source: 'sqs', settings: { batchSize: 10, sendBatchSize: 10 }, summary: { invocations: 100_000 } }), undefined, sqsCost);
    // 100,000 calls each × $0.40/M.
    expect(lineUsd(cost, 'SQS standard send')).toBeCloseTo(0.04, 10);
    expect(lineUsd(cost, 'SQS standard receive')).toBeCloseTo(0.04, 10);
    expect(lineUsd(cost, 'SQS standard delete')).toBeCloseTo(0.04, 10);
  });

  it('sqs: bills each 64 KB chunk of a payload as a request, at the FIFO rate for FIFO queues', () => {
    const cost = estimateCost(
      makePattern({ source: 'sqs', settings: { batchSize: 5, sendBatchSize: 1, fifo: true }, load: { eventSizeBytes: 100 * 1024 }, summary: { invocations: 200_000 } }),
      undefined,
      sqsCost,
    );
    // Sends: 1,000,000 messages of 100 KB = 2 chunks each → 2,000,000 requests × $0.50/M.
    expect(lineUsd(cost, 'SQS FIFO send')).toBeCloseTo(1.0, 10);
    // Receives: 200,000 calls of 5 × 100 KB = 500 KB → 8 chunks each → 1,600,000 × $0.50/M.
    expect(lineUsd(cost, 'SQS FIFO receive')).toBeCloseTo(0.8, 10);
    // Deletes: 200,000 calls × $0.50/M.
    expect(lineUsd(cost, 'SQS FIFO delete')).toBeCloseTo(0.1, 10);
  });

  it('sqs: counts redeliveries as receives', () => {
    const cost = estimateCost(makePattern({ source: 'sqs', settings: { batchSize: 10 }, accounting: { duplicateDeliveries: 100_000 }, summary: { invocations: 110_000 } }), undefined, sqsCost);
    expect(cost.lines.find((l) => l.item.startsWith('SQS standard receive'))?.quantity).toBe(110_000);
  });

  it('sqs: one receive per invocation at least, so small batches cost more receives than full ones', () => {
    const cost = estimateCost(makePattern({ source: 'sqs', settings: { batchSize: 10 }, summary: { invocations: 500_000 } }), undefined, sqsCost);
    // 1M messages in 500,000 invocations: 2 messages per receive, and as many deletes.
    expect(cost.lines.find((l) => l.item.startsWith('SQS standard receive'))?.quantity).toBe(500_000);
    expect(cost.lines.find((l) => l.item.startsWith('SQS standard delete'))?.quantity).toBe(500_000);
  });

  it('sqs: says empty receives were not measured after a run, and prices them when a plan knows them', () => {
    const pattern = makePattern({ source: 'sqs', settings: { batchSize: 10 }, summary: { invocations: 100_000 } });
    expect(estimateCost(pattern, undefined, sqsCost).notes).toContain('SQS empty receives (long polls of an empty queue) were not measured and are not priced');
    const usage = { eventsSent: 0, eventsAccepted: 0, deliveries: 0, invocations: 0, eventsCompleted: 0, resourceHours: 1, eventSizeBytes: 1024, emptyReceives: 900 };
    const idle = sqsCost.lines({ batchSize: 10 }, usage, resolvePrices(), []);
    expect(idle.find((l) => l.item.startsWith('SQS standard empty receives'))?.usd).toBeCloseTo(900 * 0.4e-6, 12);
  });

  it('kinesis provisioned: shard-hours for the run and 25 KB PUT payload units', () => {
    const cost = estimateCost(makePattern({ source: 'kinesis', settings: { shards: 4 }, load: { eventSizeBytes: 30 * 1024 } }), undefined, kinesisCost);
    expect(lineUsd(cost, 'Kinesis shard-hours')).toBeCloseTo(0.06, 10); // 4 shards × 1 h × $0.015
    expect(lineUsd(cost, 'Kinesis PUT payload units')).toBeCloseTo(0.028, 10); // 1M records × 2 units × $0.014/M
  });

  it('kinesis on-demand: stream-hours and GB in and out, records rounded up to 1 KB', () => {
    const cost = estimateCost(makePattern({ source: 'kinesis', settings: { streamMode: 'on-demand' }, load: { eventSizeBytes: 1500 } }), undefined, kinesisCost);
    const gb = (1_000_000 * 2048) / 1024 ** 3; // 1.9073… GB
    expect(lineUsd(cost, 'Kinesis on-demand stream-hours')).toBeCloseTo(0.04, 10);
    expect(lineUsd(cost, 'Kinesis on-demand data in')).toBeCloseTo(gb * 0.08, 10);
    expect(lineUsd(cost, 'Kinesis on-demand data out')).toBeCloseTo(gb * 0.04, 10);
  });

  it('eventbridge: one event per 64 KB chunk', () => {
    const cost = estimateCost(makePattern({ source: 'eventbridge', load: { eventSizeBytes: 70 * 1024 } }), undefined, eventBridgeCost);
    expect(lineUsd(cost, 'EventBridge custom events')).toBeCloseTo(2.0, 10); // 2M × $1/M
  });

  it('s3: PUT requests per thousand', () => {
    expect(lineUsd(estimateCost(makePattern({ source: 's3' }), undefined, s3Cost), 'S3 PUT requests')).toBeCloseTo(5.0, 10); // 1M × $0.005/1,000
  });

  it('s3: LIST requests to empty a bucket sluice created, none for your own bucket', () => {
    expect(lineUsd(estimateCost(makePattern({ source: 's3' }), undefined, s3Cost), 'S3 LIST requests')).toBeCloseTo(0.005, 10); // 1,000 calls of 1,000 keys
    const own = estimateCost(makePattern({ source: 's3', settings: { bucket: 'my-bucket' } }), undefined, s3Cost);
    expect(own.lines.map((l) => l.item)).not.toContain('S3 LIST requests (emptying the bucket)');
  });

  it('apigateway: HTTP API vs REST API requests', () => {
    expect(lineUsd(estimateCost(makePattern({ source: 'apigateway', settings: { type: 'http' } }), undefined, apiGatewayCost), 'API Gateway HTTP')).toBeCloseTo(1.0, 10);
    expect(lineUsd(estimateCost(makePattern({ source: 'apigateway', settings: { type: 'rest' } }), undefined, apiGatewayCost), 'API Gateway REST')).toBeCloseTo(3.5, 10);
  });

  it('assumes 256-byte events, and says so, when the result does not record the size', () => {
    const pattern = makePattern({ source: 'eventbridge' });
    delete pattern.load.eventSizeBytes;
    const cost = estimateCost(pattern, undefined, eventBridgeCost);
    expect(lineUsd(cost, 'EventBridge custom events')).toBeCloseTo(1.0, 10);
    expect(cost.notes).toContain('event size not recorded; assumed 256 bytes');
  });

  it('has no cost per million when nothing was accepted', () => {
    const cost = estimateCost(makePattern({ source: 's3', accounting: { sent: 10, accepted: 0 } }), undefined, s3Cost);
    expect(cost.perMillionEventsUsd).toBe(0);
    expect(cost.notes).toContain('no event was accepted, so there is no cost per million events');
  });

  it('applies overrides', () => {
    const cost = estimateCost(makePattern({ source: 's3' }), { s3PutRequestsPerThousandUsd: 0.0054 }, s3Cost);
    expect(lineUsd(cost, 'S3 PUT requests')).toBeCloseTo(5.4, 10);
    expect(cost.notes).toContain('prices overridden: s3PutRequestsPerThousandUsd');
  });
});

describe('estimateCost on the fixtures (hand-computed)', () => {
  it('sqs-standard', () => {
    const cost = estimateCost(loadRunFixture('sqs-standard').patterns[0], undefined, sqsCost);
    expect(lineUsd(cost, 'Lambda requests')).toBeCloseTo(0.0005076, 12); // 2,538 × $0.20/M
    expect(lineUsd(cost, 'Lambda duration')).toBeCloseTo(0.0030286951434, 12); // 179 ms × 2,538 × 0.5 GB = 227.151 GB-s
    expect(lineUsd(cost, 'Lambda init')).toBeCloseTo(0.000044962891, 12); // 259.4 ms × 26 × 0.5 GB = 3.3722 GB-s
    // sends ⌈25,237/10⌉ = 2,524; receives: one per invocation, 2,538 (more than ⌈(25,237+30)/10⌉ = 2,527 full calls),
    // 9.96 messages each; deletes ⌈25,237/9.96⌉ = 2,535; × $0.40/M
    expect(cost.lines.filter((l) => l.item.startsWith('SQS')).reduce((s, l) => s + l.usd, 0)).toBeCloseTo(0.0030388, 12);
    expect(cost.totalUsd).toBeCloseTo(0.00662005803488, 12);
    expect(cost.perMillionEventsUsd).toBeCloseTo(0.2623155698, 8);
  });

  it('kinesis-4-shards', () => {
    const cost = estimateCost(loadRunFixture('kinesis-4-shards').patterns[0], undefined, kinesisCost);
    expect(lineUsd(cost, 'Kinesis shard-hours')).toBeCloseTo(0.00055, 12); // 4 × 33 s = 0.036667 shard-hours × $0.015
    expect(lineUsd(cost, 'Kinesis PUT payload units')).toBeCloseTo(0.000353094, 12); // 25,221 × $0.014/M
    expect(cost.totalUsd).toBeCloseTo(0.00146265907648, 12);
    expect(cost.perMillionEventsUsd).toBeCloseTo(0.0579936988, 8);
  });
});
