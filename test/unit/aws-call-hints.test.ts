import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../targets/aws/clients.ts';
import { AwsCallError } from '../../targets/aws/errors.ts';
import { deployStack } from '../../targets/aws/stack.ts';

const cloudFormation = mockClient(CloudFormationClient);
// The unit project shares modules between files (isolate: false): put the real send back.
afterAll(() => {
  cloudFormation.restore();
});
afterEach(() => cloudFormation.reset());

const refused = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
const stackName = 'sluice-orders-sqs-r1';
const template = { AWSTemplateFormatVersion: '2010-09-09', Resources: { SinkQueue: { Type: 'AWS::SQS::Queue', Properties: {} } } };

async function createStackRefusedWith(error: Error): Promise<AwsCallError> {
  cloudFormation.on(CreateStackCommand).rejects(error);
  const clock = { nowMs: () => 0, sleep: async () => undefined };
  const thrown = await deployStack(new CloudFormationClient(awsClientConfig({ region: 'us-east-1' })), { stackName, template, clock }).catch((e: unknown) => e);
  expect(thrown).toBeInstanceOf(AwsCallError);
  return thrown as AwsCallError;
}

describe('a refused AWS call says what to do', () => {
  it('CreateStack refused for a missing permission names the permission and what CloudFormation needs', async () => {
    const error = await createStackRefusedWith(
      refused('AccessDenied', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudformation:CreateStack on resource: sluice-orders-sqs-r1'),
    );
    expect(error.message).toContain(`cloudformation:CreateStack ${stackName} failed (AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized`);
    expect(error.hint).toMatch(/^Your credentials may not call cloudformation:CreateStack: use a profile or role whose policy allows it/);
    expect(error.hint).toContain('iam:PassRole');
    expect(error.hint).toContain('https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/control-access-with-iam.html');
  });

  it('CreateStack refused for the stack quota points at sluice cleanup and Service Quotas', async () => {
    const error = await createStackRefusedWith(refused('LimitExceededException', 'Limit for stacks exceeded'));
    expect(error.hint).toMatch(/stacks per region/);
    expect(error.hint).toContain('`sluice cleanup`');
  });

  it('CreateStack refused for a name in use points at the stack an earlier run left', async () => {
    const error = await createStackRefusedWith(refused('AlreadyExistsException', `Stack [${stackName}] already exists`));
    expect(error.hint).toMatch(/left by an interrupted run: `sluice cleanup`/);
  });

  it('throttling and invalid values have their own advice; anything else points at the network path', () => {
    expect(new AwsCallError('cloudwatch:GetMetricData', refused('ThrottlingException', 'Rate exceeded')).hint).toMatch(/throttled/);
    expect(new AwsCallError('cloudformation:CreateStack s', refused('ValidationError', 'Template format error')).hint).toMatch(/refused a value/);
    expect(new AwsCallError('sts:GetCallerIdentity', new Error('socket hang up')).hint).toMatch(/^Check the network path to AWS/);
  });
});
