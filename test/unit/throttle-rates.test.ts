import { describe, expect, it } from 'vitest';
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { VirtualClock } from '../../core/clock.ts';
import { seededRandom } from '../../runtime/random.ts';
import { LambdaFunction } from '../../runtime/lambda-function.ts';
import { syntheticHandler } from '../../runtime/handler.ts';
import { ConcurrencyThrottleError } from '../../runtime/errors.ts';
import { EventLedger } from '../../run/event-ledger.ts';
import { MetricsRecorder } from '../../run/metrics-recorder.ts';
import { KinesisProducer, type PutRecordsClient } from '../../drivers/kinesis/kinesis-producer.ts';
import { VirtualStream } from '../../drivers/kinesis/virtual-stream.ts';
import { summarize } from '../../analysis/summarize.ts';
import { readMetric } from '../../analysis/metrics.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import { account, functionSpec } from '../support/scenarios.ts';
import { makePattern, makeRun } from '../fixtures/run-results/helpers.ts';

/** PutRecords over an in-memory stream with Kinesis's per-shard write quota; each call's records are noted. */
function streamClient(stream: VirtualStream, recordsPerCall: number[]): PutRecordsClient {
  return {
    send: (async (command: PutRecordsCommand) => {
      const records = command.input.Records ?? [];
      recordsPerCall.push(records.length);
      const results = stream.putRecords(records.map((record) => ({ partitionKey: record.PartitionKey!, data: record.Data! })));
      return {
        FailedRecordCount: results.filter((result) => 'errorCode' in result).length,
        Records: results.map((result) =>
          'errorCode' in result ? { ErrorCode: result.errorCode, ErrorMessage: `Rate exceeded for shard ${result.shardId}` } : { ShardId: result.shardId, SequenceNumber: result.sequenceNumber },
        ),
        $metadata: {},
      } satisfies PutRecordsCommandOutput;
    }) as PutRecordsClient['send'],
  };
}

describe('throttle rates are shares of attempts (docs/analysis.md, "Throttle rates")', () => {
  it('throttleRate: a 1-shard write overload is throttled attempts / attempts, records given up not counted as retried', async () => {
    // 10 records/s on one shard, 200 records at once, two retries each: most records are
    // refused three times and then given up, so they are attempted three times, not four.
    const clock = new VirtualClock(0);
    const stream = new VirtualStream(clock, { shards: 1, quotas: { writeRecordsPerSecondPerShard: 10 } });
    const ledger = new EventLedger(1000);
    const recorder = new MetricsRecorder(0);
    const recordsPerCall: number[] = [];
    const producer = new KinesisProducer({ client: streamClient(stream, recordsPerCall), streamName: stream.streamName, clock, ledger, recorder, putRecordsBatchSize: 500, producerRetries: 2, random: seededRandom(1) });
    const events = Array.from({ length: 200 }, (_, id) => ({ id, key: `key-${id % 10}`, body: JSON.stringify({ sluiceId: id, sentAtMs: 0 }) }));
    for (const event of events) ledger.recordSent(event.id, 0);
    const sending = producer.send(events);
    await clock.advanceBy(30_000);
    await sending;

    const accounting = ledger.accounting(0);
    const attempts = recordsPerCall.reduce((sum, count) => sum + count, 0);
    const throttledAttempts = attempts - accounting.accepted;
    expect(accounting.sourceFailed).toBeGreaterThan(100);
    const summary = summarize({ series: recorder.series(), accounting, invocations: 0, invocationErrors: 0, loadDurationMs: 1000 });
    expect(summary.sourceThrottles).toBe(throttledAttempts);
    expect(summary.sourceAttempts).toBe(attempts);
    expect(summary.throttleRate).toBeCloseTo(throttledAttempts / attempts, 6);
    // The old figure, throttles / (sent + throttles), counted an attempt after every refusal.
    expect(Math.abs(summary.throttleRate - throttledAttempts / (accounting.sent + throttledAttempts))).toBeGreaterThan(0.05);
    console.info(`1-shard overload: ${throttledAttempts} throttled of ${attempts} attempts (${accounting.sent} records, ${accounting.sourceFailed} given up): throttleRate ${summary.throttleRate}`);
  });

  it('functionThrottleRate: invokes refused for concurrency / invoke attempts, from the runtime’s own counts', async () => {
    const clock = new VirtualClock(0);
    const recorder = new MetricsRecorder(0);
    let invocations = 0;
    const fn = new LambdaFunction({
      spec: functionSpec({ reservedConcurrency: 4, initDuration: '0ms', handler: { duration: '100ms' } }),
      account: account(),
      clock,
      handler: syntheticHandler({ type: 'synthetic', duration: { kind: 'fixed', fixedMs: 100 }, errorRate: 0 }, clock, seededRandom(1)),
      observer: {
        onInvocation: () => {
          invocations += 1;
        },
        onThrottle: () => recorder.count('functionThrottles', clock.nowMs()),
      },
    });
    // Ten synchronous invokes at once, ten times: 4 run each time, 6 are refused.
    let refused = 0;
    let tried = 0;
    for (let round = 0; round < 10; round += 1) {
      const calls = Array.from({ length: 10 }, () => {
        tried += 1;
        return fn.invoke({}, 'sync').catch((error: unknown) => {
          if (error instanceof ConcurrencyThrottleError) refused += 1;
        });
      });
      await clock.advanceBy(200);
      await Promise.all(calls);
    }
    expect(refused).toBe(60);
    const summary = summarize({ series: recorder.series(), accounting: makePattern().accounting, invocations, invocationErrors: 0, loadDurationMs: 2000 });
    expect(summary.functionThrottles).toBe(60);
    expect(summary.invokeAttempts).toBe(tried);
    expect(summary.functionThrottleRate).toBeCloseTo(0.6, 6);
  });

  it('functionThrottleRate is a threshold metric; older results derive it from their counts, a never-invoked function has none', () => {
    // The API Gateway case: 1,054 throttled invokes among 5,000 attempts.
    const older = makePattern({ name: 'api', summary: { functionThrottles: 1054, invocations: 3946 } });
    expect(readMetric(older, 'functionThrottleRate')).toBeCloseTo(0.2108, 6);
    const evaluation = evaluateThresholds(makeRun([older]), ['functionThrottleRate < 1%', 'throttleRate < 1%']);
    expect(evaluation.outcomes.map((o) => [o.expression, o.status])).toEqual([
      ['functionThrottleRate < 1%', 'failed'],
      ['throttleRate < 1%', 'passed'],
    ]);
    expect(readMetric(makePattern({ summary: { functionThrottles: 0, invocations: 0 } }), 'functionThrottleRate')).toBeUndefined();
  });
});
