/**
 * AWS's documented defaults and quotas that shape the numbers, in one table. Each row
 * names the page it comes from; a scenario overrides any of them (see the README's
 * scenario reference). Where the legacy and current models differ, both are given.
 */
export const awsDefaults = {
  accountConcurrencyLimit: {
    value: 1000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  burstEnvironmentsPer10Seconds: {
    value: 1000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html (each function scales by 1,000 environments every 10 s)',
  },
  legacyInitialBurst: {
    value: 3000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html (pre-2023 model: 500–3,000 by region, then +500/min)',
  },
  legacyBurstIncrementPerMinute: {
    value: 500,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html',
  },
  environmentIdleReclaimMs: {
    value: 5 * 60_000,
    source: 'not documented; observed reuse windows are 5–15 minutes',
  },
  sqsInitialPollers: {
    value: 5,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (starts with five concurrent batches)',
  },
  sqsPollerScaleUpPerMinute: {
    value: 300,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (while messages are still available, adds up to 300 concurrent invocations per minute)',
  },
  sqsScaleUpWaitRiseMs: {
    value: 20,
    source:
      'not documented: "messages are still available" read as messages waiting longer and longer — the oldest message a second\'s receives took waited this much longer than the second before\'s. So pollers stop adding once they keep up with arrivals, even over a standing backlog, as in the published scale-up experiment (batch size 1: ~195 cold starts with a 100 ms handler, ~795 with 400 ms, about what the arrival rate needs): https://rehanvdm.com/blog/sqs-lambda-esm-scaling-behaviour--experiment-lambda-time-vs-batch-size',
  },
  sqsMaximumConcurrencyRange: {
    value: [2, 1000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency (maximum concurrency 2–1,000)',
  },
  sqsStandardConcurrentInvokesMax: {
    value: 1_250,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (standard mode scales a mapping up to 1,250 concurrent invocations; older pages said 1,000 batches)',
  },
  sqsProvisionedMinimumPollersRange: {
    value: [2, 200] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html (SQS: MinimumPollers 2–200, default 2)',
  },
  sqsProvisionedMaximumPollersRange: {
    value: [2, 10_000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html (SQS: MaximumPollers 2–10,000, default 200)',
  },
  sqsProvisionedPollersDefault: {
    value: { minimum: 2, maximum: 200 } as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html (SQS defaults: 2 minimum, 200 maximum)',
  },
  sqsProvisionedInvokesPerPoller: {
    value: 10,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (provisioned mode: each event poller handles up to 10 concurrent invokes)',
  },
  sqsProvisionedScaleUpPerMinute: {
    value: 1_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html and https://aws.amazon.com/blogs/aws/aws-lambda-enhances-sqs-processing-with-new-provisioned-mode-3x-faster-scaling-16x-higher-capacity (event pollers scale by up to 1,000 concurrent invokes a minute; not combinable with maximumConcurrency)',
  },
  sqsMessageBytesMax: {
    value: 1_048_576,
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html (message size up to 1 MiB since August 2025; 256 KiB before)',
  },
  asyncInvokePayloadBytesMax: {
    value: 1_048_576,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (asynchronous invocation payload up to 1 MB since October 2025; 256 KB before) and https://docs.aws.amazon.com/lambda/latest/dg/API_InvokeAsync.html',
  },
  sqsEmptyReceiveBackoffMs: {
    value: [10, 1_000] as const,
    source: 'not documented: a poller whose receive came back empty before its long poll ended waits from 10 ms, doubling up to 1 s, before it receives again (no tight retry loop)',
  },
  sqsBacklogReadsPerSecond: {
    value: 4,
    source: 'not documented: how often the mapping reads ApproximateNumberOfMessages (GetQueueAttributes) to see whether messages wait; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html',
  },
  sqsBatchSizeMax: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html (10 for FIFO)',
  },
  sqsVisibilityTimeoutMs: {
    value: 30_000,
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html',
  },
  sqsReceiveWaitMs: {
    value: 20_000,
    source: 'Lambda pollers use long polling (20 s)',
  },
  kinesisWriteRecordsPerSecondPerShard: {
    value: 1_000,
    source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html (writes up to 1,000 records/s per shard)',
  },
  kinesisWriteBytesPerSecondPerShard: {
    value: 1_048_576,
    source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html (writes up to 1 MiB/s per shard)',
  },
  kinesisGetRecordsCallsPerSecondPerShard: {
    value: 5,
    source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html (5 GetRecords transactions/s per shard)',
  },
  kinesisReadBytesPerSecondPerShard: {
    value: 2_097_152,
    source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html (2 MiB/s read per shard)',
  },
  kinesisGetRecordsRecordsMax: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html (Limit: at most 10,000 records a call)',
  },
  kinesisPutRecordsRecordsMax: {
    value: 500,
    source: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html (up to 500 records a request)',
  },
  kinesisPutRecordsBytesMax: {
    value: 5_242_880,
    source: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html (up to 5 MiB a request, partition keys included)',
  },
  kinesisOnDemandInitialShards: {
    value: 4,
    source: 'https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html (a new on-demand stream writes 4 MiB/s and 4,000 records/s: 4 shards; its later scaling is not modelled)',
  },
  kinesisBatchSizeMax: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html (BatchSize up to 10,000)',
  },
  kinesisParallelizationFactorMax: {
    value: 10,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html (ParallelizationFactor 1–10)',
  },
  kinesisMaximumRetryAttemptsMax: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html (MaximumRetryAttempts -1 to 10,000; -1 is infinite)',
  },
  kinesisMaximumRecordAgeRangeMs: {
    value: [60_000, 604_800_000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html (MaximumRecordAgeInSeconds 60–604,800, or -1 for infinite)',
  },
  kinesisPollIntervalMs: {
    value: 1_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (for standard iterators Lambda polls each shard at a base rate of once per second, faster while records wait)',
  },
  kinesisRetryBackoffMs: {
    value: [100, 2_000] as const,
    source: 'not documented: first and largest delay of the exponential backoff after a throttled GetRecords or invoke (sluice’s choice)',
  },
  lambdaPayloadBytesMax: {
    value: 6_291_456,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (6 MB synchronous payload: a stream batch is cut there)',
  },
  kinesisEmbeddedWriteCeilingRecordsPerSecond: {
    value: 6_500,
    source:
      'measured, not an AWS number: bench/kinesis-send.bench.ts, PutRecords of 500 × 100 B through the edge + quotas + kinesalite on 2 shared cores, 5,800–6,700 records/s. Above it the emulator, not Kinesis, limits the write rate',
  },
  lambdaTimeoutMs: {
    value: 3_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html',
  },
  lambdaMemoryMb: {
    value: 128,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html',
  },
  lambdaMemoryMbRange: {
    value: [128, 10_240] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (128 MB to 10,240 MB in 1-MB increments)',
  },
  lambdaMemoryMbPerVcpu: {
    value: 1_769,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (CPU is allocated in proportion to memory; at 1,769 MB a function has the equivalent of one vCPU)',
  },
  lambdaVcpusMax: {
    value: 6,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (up to 6 vCPUs at 10,240 MB)',
  },
  syntheticHandlerCpuShare: {
    value: 0.5,
    source: "sluice's assumption, not an AWS number: the share of a synthetic handler's duration that is CPU-bound (the rest waits on I/O and does not speed up with memory); set function.handler.cpuShare from your own measurements",
  },
  arm64CpuTimeFactor: {
    value: 0.84,
    source: 'https://aws.amazon.com/blogs/aws/aws-lambda-functions-powered-by-aws-graviton2-processor-run-your-functions-on-arm-and-get-up-to-34-better-price-performance/ (Graviton2 "up to 19 % better performance": the CPU-bound part on arm64 takes 1/1.19 of its x86_64 time; a best case, workloads differ: override function.arm64CpuTimeFactor)',
  },
  lambdaColdStartMsByRuntime: {
    value: {
      'nodejs20.x': { p50: 130, p99: 160, measured: false },
      'nodejs22.x': { p50: 124, p99: 147, measured: true },
      'nodejs24.x': { p50: 124, p99: 147, measured: false },
      'python3.12': { p50: 75, p99: 95, measured: false },
      'python3.13': { p50: 73, p99: 91, measured: true },
      java21: { p50: 231, p99: 277, measured: true },
      'java21-snapstart': { p50: 90, p99: 140, measured: true },
      dotnet8: { p50: 238, p99: 323, measured: true },
      'provided.al2023-go': { p50: 40, p99: 51, measured: true },
      'provided.al2023-rust': { p50: 14, p99: 18, measured: true },
      'provided.al2023-llrt': { p50: 30, p99: 45, measured: false },
    },
    source:
      'https://maxday.github.io/lambda-perf/ (a public daily benchmark of hello-world InitDuration: the low and high ends of its daily averages as p50 and p99; `measured: false` rows are assumed from the nearest measured runtime). Java 21 with SnapStart: 90–140 ms restore, https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html. A real application starts slower (package size, initialisation code, VPC, extensions: e.g. Node.js 22 p50 200–350 ms, p99 0.6–1 s; Java 21 2–5 s): add it with function.initAdded, or give initDuration',
  },
  provisionedScaleOutAfterMs: {
    value: 3 * 60_000,
    source: 'https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html (target tracking on Lambda provisioned concurrency: the scale-out alarm needs 3 one-minute datapoints above the target)',
  },
  provisionedScaleInAfterMs: {
    value: 15 * 60_000,
    source: 'https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html (the scale-in alarm needs 15 one-minute datapoints below the target)',
  },
  provisionedUtilizationPeriodMs: {
    value: 60_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html (ProvisionedConcurrencyUtilization, a one-minute metric; the policy tracks its Average)',
  },
  provisionedTargetUtilization: {
    value: 0.7,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html (the example target-tracking policy keeps utilization at 70 %)',
  },
  asyncInvokeMaximumRetryAttempts: {
    value: 2,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html (0–2, default 2)',
  },
  asyncInvokeMaximumEventAgeMs: {
    value: 6 * 3_600_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html (60 s–6 h, default 6 h)',
  },
  asyncInvokeMaximumEventAgeRangeMs: {
    value: [60_000, 6 * 3_600_000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/API_PutFunctionEventInvokeConfig.html (MaximumEventAgeInSeconds 60–21,600)',
  },
  asyncInvokeErrorRetryDelaysMs: {
    value: [60_000, 120_000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html (one minute before the first retry, two before the second)',
  },
  asyncInvokeThrottleRetryInitialMs: {
    value: 1_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html (throttles: retry interval grows exponentially from 1 s …)',
  },
  asyncInvokeThrottleRetryMaxMs: {
    value: 300_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html (… to a maximum of 5 minutes)',
  },
  eventBridgePutEventsRequestsPerSecond: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (PutEvents: a soft limit of 10,000 requests/s in us-east-1, us-west-2, eu-west-1; 400–2,400 in other Regions)',
  },
  eventBridgePutEventsEntriesMax: {
    value: 10,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html (Entries: 1 to 10 items)',
  },
  eventBridgePutEventsEntriesBytesMax: {
    value: 1_048_576,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html (a PutEvents request and each event up to 1 MiB since January 2026; 256 KB before)',
  },
  eventBridgeInvocationsPerSecondByRegion: {
    value: {
      'us-east-1': 18_750,
      'us-west-2': 18_750,
      'eu-west-1': 18_750,
      'us-east-2': 4_500,
      'eu-central-1': 4_500,
      'us-west-1': 2_250,
      'ap-northeast-1': 2_250,
      'ap-southeast-1': 2_250,
      'ap-southeast-2': 2_250,
      'eu-west-2': 2_250,
      'af-south-1': 750,
      'ap-northeast-3': 750,
      'ap-southeast-3': 750,
      'eu-south-1': 750,
      other: 1_100,
    } as const,
    source:
      'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (Invocations throttle limit in transactions per second: an invocation is an event matching a rule and sent to its target; past the limit invocations are throttled, i.e. delayed, not dropped; 1,100/s in each Region not listed)',
  },
  eventBridgeEventPatternCharsMax: {
    value: 2_048,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (event pattern: 2,048 characters by default, adjustable to 4,096)',
  },
  eventBridgeRulesPerBusMax: {
    value: 300,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (rules: 300 per event bus)',
  },
  eventBridgeTargetsPerRuleMax: {
    value: 5,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (targets: 5 per rule)',
  },
  eventBridgeTargetsPerCallMax: {
    value: 10,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (PutTargets and RemoveTargets: 10 entries per request)',
  },
  eventBridgeEventBusesPerAccountMax: {
    value: 100,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (event buses: 100 per account)',
  },
  eventBridgeListResultsPerPageMax: {
    value: 100,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (ListRules, ListTargetsByRule: 100 results per page)',
  },
  s3PutRequestsPerSecondPerPrefix: {
    value: 3_500,
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html (at least 3,500 PUT/COPY/POST/DELETE per second per partitioned prefix)',
  },
  s3GetRequestsPerSecondPerPrefix: {
    value: 5_500,
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html (at least 5,500 GET/HEAD per second per partitioned prefix)',
  },
  apiGatewayAccountRatePerSecond: {
    value: 10_000,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html (account-level steady-state rate per Region; lower in newer Regions: apiGatewayLowerQuotaRegions)',
  },
  apiGatewayAccountBurst: {
    value: 5_000,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html (account-level burst per Region)',
  },
  apiGatewayLowerQuotaRegions: {
    value: {
      ratePerSecond: 2_500,
      burst: 1_250,
      regions: ['af-south-1', 'eu-south-1', 'ap-southeast-3', 'me-central-1', 'ap-south-2', 'ap-southeast-4', 'eu-south-2', 'eu-central-2', 'il-central-1', 'ca-west-1', 'ap-southeast-5', 'ap-southeast-7', 'mx-central-1'],
    } as const,
    source:
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (the account throttle defaults to 2,500 rps with a 1,250 burst in Cape Town, Milan, Jakarta, UAE, Hyderabad, Melbourne, Spain, Zurich, Tel Aviv, Calgary, Malaysia, Thailand and Mexico (Central); 10,000 and 5,000 elsewhere)',
  },
  apiGatewayIntegrationTimeoutMs: {
    value: 29_000,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (integration timeout 50 ms–29 s for REST APIs; HTTP APIs allow up to 30 s)',
  },
} as const;

export type AwsDefaultName = keyof typeof awsDefaults;

/**
 * EventBridge's invocation quota (matched events delivered to targets per second) in a
 * region: 18,750 in us-east-1, us-west-2 and eu-west-1, lower elsewhere.
 *
 * @example eventBridgeInvocationsPerSecondIn('ap-south-1') // 1100
 */
export function eventBridgeInvocationsPerSecondIn(region: string): number {
  const byRegion: Readonly<Record<string, number>> = awsDefaults.eventBridgeInvocationsPerSecondByRegion.value;
  return byRegion[region] ?? byRegion.other;
}

/**
 * API Gateway's account-level throttle in a region: 10,000 rps with a 5,000 burst, or
 * 2,500 and 1,250 in the newer regions.
 *
 * @example apiGatewayAccountThrottleIn('eu-south-2') // { ratePerSecond: 2500, burst: 1250 }
 */
export function apiGatewayAccountThrottleIn(region: string): { ratePerSecond: number; burst: number } {
  const lower = awsDefaults.apiGatewayLowerQuotaRegions.value;
  return (lower.regions as readonly string[]).includes(region)
    ? { ratePerSecond: lower.ratePerSecond, burst: lower.burst }
    : { ratePerSecond: awsDefaults.apiGatewayAccountRatePerSecond.value, burst: awsDefaults.apiGatewayAccountBurst.value };
}
