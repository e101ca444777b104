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
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (adds up to 300 concurrent invocations per minute)',
  },
  sqsMaximumConcurrencyRange: {
    value: [2, 1000] as const,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency',
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
  lambdaTimeoutMs: {
    value: 3_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html',
  },
  lambdaMemoryMb: {
    value: 128,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html',
  },
} as const;

export type AwsDefaultName = keyof typeof awsDefaults;
