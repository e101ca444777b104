import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../core/sluice-error.ts';
import { InvalidEventPatternError } from '../../core/event-pattern.ts';
import { ThresholdError } from '../../analysis/thresholds.ts';
import { ScenarioError } from '../../scenario/errors.ts';
import { ConcurrencyThrottleError, FunctionError } from '../../runtime/errors.ts';
import { ExpiredShardIteratorError, ShardReadThrottledError } from '../../drivers/kinesis/shard-reader.ts';
import { SluiceControlError } from '../../localstack/embedded/sluice-control.ts';
import { EventBridgeApiError, EventBridgeServiceConfigError } from '../../localstack/embedded/eventbridge/eventbridge-service.ts';
import { KinesisQuotaConfigError } from '../../localstack/embedded/kinesis/shard-quotas.ts';
import { NotificationConfigError } from '../../localstack/embedded/s3/notification-config.ts';
import { AwsCallError, StackTimeoutError } from '../../targets/aws/errors.ts';
import { SluiceTargetError } from '../../core/sluice-error.ts';
import { EndpointLacksServiceError, EndpointUnreachableError, LocalstackStartError } from '../../localstack/localstack-errors.ts';
import { RunResultError } from '../../analysis/run-result-schema.ts';
import { OutputPathError } from '../../cli/output-paths.ts';

const cause = new Error('the wrapped one');

/** One of each error class thrown to users, built as its throwers build it. */
const errors: Array<[string, SluiceError]> = [
  ['ScenarioError', new ScenarioError([{ file: 's.yaml', line: 3, column: 5, keyPath: 'patterns[0].source', message: 'unknown source' }])],
  ['ThresholdError', new ThresholdError([{ path: [0], expression: 'p99 <', message: 'no value' }])],
  ['InvalidEventPatternError', new InvalidEventPatternError([{ path: '$.source', reason: '"source" must be an object or an array' }])],
  ['ConcurrencyThrottleError', new ConcurrencyThrottleError('BurstScalingLimitExceeded')],
  ['FunctionError', new FunctionError('Task timed out after 3.00 seconds', 'Timeout', { cause })],
  ['ShardReadThrottledError', new ShardReadThrottledError(undefined, { cause })],
  ['ExpiredShardIteratorError', new ExpiredShardIteratorError()],
  ['SluiceControlError', new SluiceControlError('PUT /_sluice/x: 404', 'use the embedded target', { cause })],
  ['EventBridgeServiceConfigError', new EventBridgeServiceConfigError(['accountId must be 12 digits'])],
  ['EventBridgeApiError', new EventBridgeApiError('ThrottlingException', 'Rate exceeded')],
  ['KinesisQuotaConfigError', new KinesisQuotaConfigError('INVALID_KINESIS_QUOTA', ['writeRecordsPerSecondPerShard must be a positive finite number, got 0'])],
  ['NotificationConfigError', new NotificationConfigError('NotImplemented', 'QueueConfiguration is not supported')],
  ['AwsCallError', new AwsCallError('sts:GetCallerIdentity', cause)],
  ['StackTimeoutError', new StackTimeoutError('sluice-demo-sqs-r1', 'CREATE_IN_PROGRESS', 900_000)],
  ['LocalstackStartError', new LocalstackStartError('LocalStack did not become ready', 'Check `docker logs`.', cause)],
  ['EndpointUnreachableError', new EndpointUnreachableError('http://127.0.0.1:5000', 'nothing answered', cause)],
  ['EndpointLacksServiceError', new EndpointLacksServiceError('http://127.0.0.1:5000', 'pattern kinesis (kinesis) cannot run on http://127.0.0.1:5000: the endpoint lacks Kinesis', 'Enable Kinesis on the endpoint.')],
  ['RunResultError', new RunResultError([{ file: 'baseline.json', line: 26, column: 5, jsonPath: 'patterns[0].name', message: 'missing (expected string)' }])],
  ['OutputPathError', new OutputPathError('SLUICE_BAD_OUTPUT', '--out runs: names an existing file, not a folder', 'give --out a folder')],
];

describe('sluice errors', () => {
  it.each(errors)('%s is a SluiceError with its name, a stable code, a message and a hint', (name, error) => {
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toMatch(/^[A-Za-z_]+$/);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.hint?.length).toBeGreaterThan(0);
  });

  it('keeps the cause it was given, and has none otherwise', () => {
    expect(new FunctionError('boom', 'Unhandled', { cause }).cause).toBe(cause);
    expect(new AwsCallError('sqs:ReceiveMessage', cause).cause).toBe(cause);
    expect('cause' in new StackTimeoutError('s', 'CREATE_IN_PROGRESS', 1_000)).toBe(false);
  });

  it('keeps target errors recognisable as target errors', () => {
    const error = new AwsCallError('sts:GetCallerIdentity', cause);
    expect(error).toBeInstanceOf(SluiceTargetError);
    expect(error.code).toBe('SLUICE_AWS_CALL');
  });

  it('gives each Lambda throttle reason its own hint', () => {
    const hints = (['ReservedFunctionConcurrentInvocationLimitExceeded', 'ConcurrentInvocationLimitExceeded', 'BurstScalingLimitExceeded'] as const).map((reason) => new ConcurrencyThrottleError(reason).hint);
    expect(new Set(hints).size).toBe(3);
  });
});
