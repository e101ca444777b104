import { EventEmitter } from 'node:events';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsClientConfig, awsClientTimeoutDefaults } from '../../targets/aws/clients.ts';
import { credentialsProblemOf, describeAccount, resolveAwsCredentials } from '../../targets/aws/credentials.ts';
import {
  AwsCallError,
  AwsCredentialsMissingError,
  AwsTemplateError,
  StackDeleteError,
  StackDeployError,
  StackTeardownError,
  StackTimeoutError,
} from '../../targets/aws/errors.ts';
import {
  cleanupLeftoverStacks,
  createStackTeardown,
  deleteStack,
  deleteStacksOnSignal,
  deployStack,
  findLeftoverStacks,
  withStackTeardown,
  type SignalTarget,
} from '../../targets/aws/stack.ts';
import type { SleepClock } from '../../core/clock.ts';

const stackName = 'sluice-orders-sqs-r1';
const stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/${stackName}/0d1e2f`;
const template = { AWSTemplateFormatVersion: '2010-09-09', Resources: { SinkQueue: { Type: 'AWS::SQS::Queue', Properties: {} } } };

/** A clock whose sleeps return at once and move time forward, so waits are instant and bounded. */
function virtualClock(): SleepClock & { sleeps: number[] } {
  let nowMs = 1_767_225_600_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => nowMs,
    sleep: async (ms) => {
      sleeps.push(ms);
      nowMs += ms;
    },
  };
}

const stack = (status: string, extra: Partial<Stack> = {}): { Stacks: Stack[] } => ({
  Stacks: [{ StackName: stackName, StackId: stackId, StackStatus: status as Stack['StackStatus'], CreationTime: new Date(0), ...extra }],
});

const missing = () => Object.assign(new Error(`Stack with id ${stackName} does not exist`), { name: 'ValidationError' });

const cloudFormation = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);
// The unit project shares modules between files (isolate: false): put the real send back.
afterAll(() => {
  cloudFormation.restore();
  s3.restore();
  sts.restore();
});

beforeEach(() => {
  cloudFormation.reset();
  s3.reset();
  sts.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function commandNames(): string[] {
  return cloudFormation.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
}

describe('deployStack', () => {
  it('creates the stack, waits for CREATE_COMPLETE and returns its outputs', async () => {
    cloudFormation.on(CreateStackCommand).resolves({ StackId: stackId });
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolves(stack('CREATE_COMPLETE', { Outputs: [{ OutputKey: 'QueueUrl', OutputValue: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' }] }));
    const clock = virtualClock();
    const statuses: string[] = [];

    const deployed = await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), {
      stackName,
      template,
      tags: { 'sluice:run-id': 'r1', 'sluice:scenario': 'orders' },
      clock,
      pollIntervalMs: 5_000,
      onStatus: (_, status) => statuses.push(status),
    });

    expect(deployed).toEqual({ stackName, stackId, outputs: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' } });
    expect(commandNames()).toEqual(['CreateStackCommand', 'DescribeStacksCommand', 'DescribeStacksCommand', 'DescribeStacksCommand']);
    const input = cloudFormation.commandCalls(CreateStackCommand)[0].args[0].input;
    expect(input).toMatchObject({
      StackName: stackName,
      Capabilities: ['CAPABILITY_IAM'],
      OnFailure: 'DELETE',
      Tags: [
        { Key: 'sluice:run-id', Value: 'r1' },
        { Key: 'sluice:scenario', Value: 'orders' },
      ],
    });
    expect(JSON.parse(input.TemplateBody!)).toEqual(template);
    expect(input.TimeoutInMinutes).toBe(20);
    expect(statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(clock.sleeps).toEqual([5_000, 5_000]);
  });

  it('deletes the stack and names CloudFormation’s reasons when creation fails', async () => {
    cloudFormation.on(CreateStackCommand).resolves({ StackId: stackId });
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolvesOnce(stack('ROLLBACK_COMPLETE', { StackStatusReason: 'The following resource(s) failed to create: [ConsumerFunction].' }))
      .resolvesOnce(stack('ROLLBACK_COMPLETE'))
      .resolvesOnce(stack('DELETE_IN_PROGRESS'))
      .resolves(stack('DELETE_COMPLETE'));
    cloudFormation.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        { StackId: stackId, EventId: '3', StackName: stackName, Timestamp: new Date(3), LogicalResourceId: 'SourceQueue', ResourceType: 'AWS::SQS::Queue', ResourceStatus: 'CREATE_FAILED', ResourceStatusReason: 'Resource creation cancelled' },
        {
          StackId: stackId,
          EventId: '2',
          StackName: stackName,
          Timestamp: new Date(2),
          LogicalResourceId: 'ConsumerFunction',
          ResourceType: 'AWS::Lambda::Function',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Specified ReservedConcurrentExecutions for function decreases account’s UnreservedConcurrentExecution below its minimum value of [100].',
        },
      ],
    });
    cloudFormation.on(DeleteStackCommand).resolves({});

    const error = await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template, clock: virtualClock() }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackDeployError);
    const deployError = error as StackDeployError;
    expect(deployError.code).toBe('SLUICE_AWS_STACK_FAILED');
    expect(deployError.reasons).toEqual([expect.stringMatching(/^ConsumerFunction \(AWS::Lambda::Function\): Specified ReservedConcurrentExecutions/)]);
    expect(deployError.message).toMatch(/ROLLBACK_COMPLETE/);
    expect(deployError.hint).toMatch(/deleted again/);
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(1);
    expect(cloudFormation.commandCalls(DeleteStackCommand)[0].args[0].input.StackName).toBe(stackId);
  });

  it('gives up at its time bound and deletes what was started', async () => {
    cloudFormation.on(CreateStackCommand).resolves({ StackId: stackId });
    cloudFormation.on(DescribeStacksCommand).resolves(stack('CREATE_IN_PROGRESS'));
    cloudFormation.on(DeleteStackCommand).callsFake(() => {
      cloudFormation.on(DescribeStacksCommand).resolves(stack('DELETE_COMPLETE'));
      return {};
    });
    const error = await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template, clock: virtualClock(), timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackTimeoutError);
    expect((error as StackTimeoutError).lastStatus).toBe('CREATE_IN_PROGRESS');
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('tags the stack with the run id, scenario and pattern from the template when given no tags', async () => {
    cloudFormation.on(CreateStackCommand).resolves({ StackId: stackId });
    cloudFormation.on(DescribeStacksCommand).resolves(stack('CREATE_COMPLETE'));
    const built = { ...template, Metadata: { sluice: { runId: 'r9', scenario: 'orders', pattern: 'sqs' } } };
    await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template: built, clock: virtualClock() });
    expect(cloudFormation.commandCalls(CreateStackCommand)[0].args[0].input.Tags).toEqual([
      { Key: 'sluice:run-id', Value: 'r9' },
      { Key: 'sluice:scenario', Value: 'orders' },
      { Key: 'sluice:pattern', Value: 'sqs' },
    ]);
  });

  it('refuses a template over CloudFormation’s inline size without calling AWS', async () => {
    const huge = { Resources: { Big: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'x'.repeat(60_000) } } } };
    await expect(deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template: huge })).rejects.toBeInstanceOf(AwsTemplateError);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('turns missing credentials into the named error', async () => {
    cloudFormation.on(CreateStackCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const error = await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCredentialsMissingError);
    expect((error as AwsCredentialsMissingError).code).toBe('SLUICE_AWS_CREDENTIALS');
  });
});

describe('deleteStack', () => {
  it('deletes and waits until the stack is gone', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('CREATE_COMPLETE'))
      .resolvesOnce(stack('DELETE_IN_PROGRESS'))
      .rejects(missing());
    cloudFormation.on(DeleteStackCommand).resolves({});
    await deleteStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), stackName, { clock: virtualClock() });
    expect(commandNames()).toEqual(['DescribeStacksCommand', 'DeleteStackCommand', 'DescribeStacksCommand', 'DescribeStacksCommand']);
  });

  it('succeeds at once for a stack that does not exist', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(missing());
    await deleteStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), stackName, { clock: virtualClock() });
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('empties the stack’s buckets first when given an S3 client', async () => {
    cloudFormation.on(DescribeStacksCommand).resolvesOnce(stack('CREATE_COMPLETE')).resolves(stack('DELETE_COMPLETE'));
    cloudFormation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'SourceBucket', ResourceType: 'AWS::S3::Bucket', PhysicalResourceId: 'sluice-bucket', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0) },
        { LogicalResourceId: 'SinkQueue', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'q', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0) },
      ],
    });
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'a' }, { Key: 'b' }] })
      .resolvesOnce({ Contents: [{ Key: 'c' }] })
      .resolves({ Contents: [] });
    s3.on(DeleteObjectsCommand).resolves({});
    cloudFormation.on(DeleteStackCommand).resolves({});
    await deleteStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), stackName, { clock: virtualClock(), s3Client: new S3Client(awsClientConfig({ region: 'us-east-1' })) });
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.map((o) => o.Key))).toEqual([['a', 'b'], ['c']]);
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input.Bucket).toBe('sluice-bucket');
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('waits for a stack in the middle of an operation, then deletes it', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolvesOnce(stack('UPDATE_COMPLETE'))
      .resolves(stack('DELETE_COMPLETE'));
    cloudFormation
      .on(DeleteStackCommand)
      .rejectsOnce(Object.assign(new Error(`Stack [${stackName}] cannot be deleted while in status UPDATE_IN_PROGRESS`), { name: 'ValidationError' }))
      .resolves({});
    await deleteStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), stackName, { clock: virtualClock() });
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(2);
  });

  it('reports DELETE_FAILED with CloudFormation’s reasons', async () => {
    cloudFormation.on(DescribeStacksCommand).resolvesOnce(stack('CREATE_COMPLETE')).resolves(stack('DELETE_FAILED'));
    cloudFormation.on(DeleteStackCommand).resolves({});
    cloudFormation.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: stackId,
          EventId: '1',
          StackName: stackName,
          Timestamp: new Date(1),
          LogicalResourceId: 'SourceBucket',
          ResourceType: 'AWS::S3::Bucket',
          ResourceStatus: 'DELETE_FAILED',
          ResourceStatusReason: 'The bucket you tried to delete is not empty',
        },
      ],
    });
    const error = await deleteStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), stackName, { clock: virtualClock() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackDeleteError);
    expect((error as StackDeleteError).reasons).toEqual(['SourceBucket (AWS::S3::Bucket): The bucket you tried to delete is not empty']);
    expect((error as StackDeleteError).hint).toMatch(/S3 client/);
  });
});

describe('leftover stacks', () => {
  const listing = {
    Stacks: [
      { StackName: 'sluice-orders-sqs-r1', StackId: 'id-1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(1000), Tags: [{ Key: 'sluice:run-id', Value: 'r1' }, { Key: 'sluice:scenario', Value: 'orders' }] },
      { StackName: 'sluice-old-manual', StackId: 'id-2', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date(2000), Tags: [] },
      { StackName: 'billing-prod', StackId: 'id-3', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(3000), Tags: [] },
      { StackName: 'renamed', StackId: 'id-4', StackStatus: 'DELETE_FAILED', CreationTime: new Date(4000), Tags: [{ Key: 'sluice:run-id', Value: 'r2' }] },
    ] as Stack[],
  };

  it('finds stacks tagged with a run id or named with the sluice- prefix, across pages', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: listing.Stacks.slice(0, 2), NextToken: 'page-2' })
      .resolvesOnce({ Stacks: listing.Stacks.slice(2) });
    const found = await findLeftoverStacks(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })));
    expect(found).toEqual([
      { stackName: 'sluice-orders-sqs-r1', stackId: 'id-1', status: 'CREATE_COMPLETE', createdAtMs: 1000, runId: 'r1', scenario: 'orders', matchedBy: 'tag' },
      { stackName: 'sluice-old-manual', stackId: 'id-2', status: 'ROLLBACK_COMPLETE', createdAtMs: 2000, matchedBy: 'name' },
      { stackName: 'renamed', stackId: 'id-4', status: 'DELETE_FAILED', createdAtMs: 4000, runId: 'r2', matchedBy: 'tag' },
    ]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[1].args[0].input.NextToken).toBe('page-2');
  });

  it('finds only one run’s stacks when asked', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(listing);
    const found = await findLeftoverStacks(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { runId: 'r2' });
    expect(found.map((s) => s.stackName)).toEqual(['renamed']);
  });

  it('cleanup deletes every leftover and reports each outcome', async () => {
    const deleted = new Set<string>();
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
      if (!input.StackName) return listing;
      const known = listing.Stacks.find((s) => s.StackId === input.StackName);
      if (!known || deleted.has(known.StackId!)) throw missing();
      return { Stacks: [known] };
    });
    cloudFormation.on(DeleteStackCommand).callsFake((input: { StackName: string }) => {
      deleted.add(input.StackName);
      return {};
    });
    const outcomes = await cleanupLeftoverStacks(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { clock: virtualClock() });
    expect(outcomes.map((o) => [o.stackName, o.deleted]).sort()).toEqual([
      ['renamed', true],
      ['sluice-old-manual', true],
      ['sluice-orders-sqs-r1', true],
    ]);
    expect([...deleted].sort()).toEqual(['id-1', 'id-2', 'id-4']);
  });
});

describe('teardown', () => {
  function deletableStacks() {
    const exists = new Set<string>(['stack-a', 'stack-b']);
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
      if (!exists.has(input.StackName)) throw missing();
      return { Stacks: [{ StackName: input.StackName, StackId: input.StackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0) }] };
    });
    cloudFormation.on(DeleteStackCommand).callsFake((input: { StackName: string }) => {
      exists.delete(input.StackName);
      return {};
    });
    return exists;
  }

  it('deletes every tracked stack once, however often deleteAll is called', async () => {
    const exists = deletableStacks();
    const teardown = createStackTeardown(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { clock: virtualClock() });
    teardown.track('stack-a');
    teardown.track('stack-b');
    expect(teardown.tracked).toEqual(['stack-a', 'stack-b']);
    await Promise.all([teardown.deleteAll(), teardown.deleteAll()]);
    await teardown.deleteAll();
    expect(exists.size).toBe(0);
    expect(cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(2);
    expect(teardown.tracked).toEqual([]);
  });

  it('tries every stack and keeps the ones that failed for another attempt', async () => {
    deletableStacks();
    cloudFormation.on(DeleteStackCommand, { StackName: 'stack-b' }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const teardown = createStackTeardown(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { clock: virtualClock() });
    teardown.track('stack-a');
    teardown.track('stack-b');
    const error = await teardown.deleteAll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackTeardownError);
    expect((error as StackTeardownError).failures.map((f) => f.stackName)).toEqual(['stack-b']);
    expect(teardown.tracked).toEqual(['stack-b']);
  });

  it('deletes tracked stacks when the body fails, and throws the body’s error', async () => {
    const exists = deletableStacks();
    const failure = new Error('load generator crashed');
    const run = withStackTeardown(
      new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })),
      async (teardown) => {
        teardown.track('stack-a');
        throw failure;
      },
      { clock: virtualClock(), signals: false },
    );
    await expect(run).rejects.toBe(failure);
    expect(exists.has('stack-a')).toBe(false);
  });

  it('deletes tracked stacks on SIGINT, then re-raises the signal', async () => {
    const exists = deletableStacks();
    const target = Object.assign(new EventEmitter(), { pid: 4242, kill: vi.fn() }) as unknown as SignalTarget & EventEmitter & { kill: ReturnType<typeof vi.fn> };
    const teardown = createStackTeardown(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { clock: virtualClock() });
    teardown.track('stack-a');
    deleteStacksOnSignal(teardown, { target });
    expect(target.listenerCount('SIGINT')).toBe(1);
    target.emit('SIGINT');
    await vi.waitFor(() => expect(target.kill).toHaveBeenCalledWith(4242, 'SIGINT'));
    expect(exists.has('stack-a')).toBe(false);
    expect(target.listenerCount('SIGINT')).toBe(0);
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('credentials', () => {
  it('describes the account behind the default credentials', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/dev/alice', UserId: 'AROA:alice' });
    await expect(describeAccount('eu-west-1', { client: new STSClient(awsClientConfig({ region: 'eu-west-1' })) })).resolves.toEqual({
      accountId: '123456789012',
      arn: 'arn:aws:sts::123456789012:assumed-role/dev/alice',
      region: 'eu-west-1',
    });
  });

  it('names missing credentials and says what to do', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const error = await describeAccount('us-east-1', { client: new STSClient(awsClientConfig({ region: 'us-east-1' })) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCredentialsMissingError);
    const named = error as AwsCredentialsMissingError;
    expect(named.code).toBe('SLUICE_AWS_CREDENTIALS');
    expect(named.problem).toBe('missing');
    expect(named.hint).toMatch(/AWS_PROFILE/);
    expect(named.hint).toMatch(/aws sso login/);
    expect(named.cause).toBeInstanceOf(Error);
  });

  it('tells an expired session from missing credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' }));
    const error = (await describeAccount('us-east-1', { client: new STSClient(awsClientConfig({ region: 'us-east-1' })) }).catch((e: unknown) => e)) as AwsCredentialsMissingError;
    expect(error.problem).toBe('expired');
    expect(error.hint).toMatch(/aws sso login/);
    expect(credentialsProblemOf(Object.assign(new Error('The SSO session associated with this profile has expired'), { name: 'Error' }))).toBe('expired');
    expect(credentialsProblemOf(Object.assign(new Error('The security token included in the request is invalid.'), { name: 'InvalidClientTokenId' }))).toBe('invalid');
  });

  it('resolves credentials through the client’s provider chain, or names their absence', async () => {
    const withKeys = new STSClient({ ...awsClientConfig({ region: 'us-east-1' }), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    await expect(resolveAwsCredentials('us-east-1', { client: withKeys })).resolves.toMatchObject({ accessKeyId: 'AKIDEXAMPLE' });
    const none = new STSClient({
      ...awsClientConfig({ region: 'us-east-1' }),
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    await expect(resolveAwsCredentials('us-east-1', { client: none })).rejects.toBeInstanceOf(AwsCredentialsMissingError);
  });

  it('wraps other failures as a call error', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await expect(describeAccount('us-east-1', { client: new STSClient(awsClientConfig({ region: 'us-east-1' })) })).rejects.toBeInstanceOf(AwsCallError);
  });
});

describe('client configuration', () => {
  it('bounds every request and throws on a request timeout', async () => {
    const config = awsClientConfig({ region: 'us-east-1' });
    const handlerConfig = await (config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
    expect(handlerConfig).toMatchObject({
      requestTimeout: awsClientTimeoutDefaults.requestTimeoutMs,
      connectionTimeout: awsClientTimeoutDefaults.connectionTimeoutMs,
      throwOnRequestTimeout: true,
    });
    expect(config.maxAttempts).toBe(3);
    expect(config.endpoint).toBeUndefined();
  });
});
