import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { scenarioSchema } from '../../scenario/schema.ts';
import { createAwsClients } from '../../targets/aws/clients.ts';
import { drainCompletionRecords } from '../../targets/aws/completions.ts';
import { describeAccount, type AwsAccount } from '../../targets/aws/credentials.ts';
import { deployStack, findLeftoverStacks, withStackTeardown } from '../../targets/aws/stack.ts';
import { buildStackTemplate, sluiceTagKeys, stackNameFor, stackOutputKeys } from '../../targets/aws/template.ts';
import { sqsAwsStack } from '../../drivers/sqs/aws-stack.ts';
import type { SqsPattern } from '../../drivers/sqs/schema.ts';

/**
 * A real deployment on AWS. Runs only with SLUICE_AWS_IT=1 and working credentials (it
 * costs a few cents and takes a few minutes); otherwise it is skipped with the reason
 * printed, and nothing here reaches the network.
 */
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
let account: AwsAccount | undefined;
let skipReason: string | undefined;
if (process.env.SLUICE_AWS_IT !== '1') {
  skipReason = 'set SLUICE_AWS_IT=1 with AWS credentials to deploy a real stack (a few cents, a few minutes)';
} else {
  try {
    account = await describeAccount(region);
  } catch (error) {
    const named = error as Error & { hint?: string };
    skipReason = `SLUICE_AWS_IT=1 but no usable credentials: ${named.message}${named.hint ? ` — ${named.hint}` : ''}`;
  }
}
if (skipReason) console.warn(`[aws-live] skipped: ${skipReason}`);

describe('real AWS', () => {
  it.skipIf(!account)(
    'deploys the smallest sqs stack, sends 10 events, reads their completions from the sink queue, and deletes the stack',
    async () => {
      const runId = `it-${Date.now().toString(36)}`;
      const scenario = scenarioSchema.parse({
        name: 'aws-live',
        region,
        workload: { phases: [{ duration: 1, arrivalRate: 10 }] },
        function: { memoryMb: 128, architecture: 'arm64', timeout: 10, initDuration: 0, handler: { duration: '10ms' } },
        patterns: [{ source: 'sqs', batchSize: 10, visibilityTimeout: 30 }],
      });
      const stackName = stackNameFor(scenario.name, 'sqs', runId);
      const clients = createAwsClients({ region });
      // Events in sluice's own envelope (load/event-factory.ts): sluiceId, sentAtMs, key.
      const eventIds = Array.from({ length: 10 }, (_, i) => i);
      try {
        await withStackTeardown(
          clients.cloudFormation,
          async (teardown) => {
            teardown.track(stackName);
            const stack = await deployStack(clients.cloudFormation, {
              stackName,
              template: buildStackTemplate(scenario, scenario.patterns[0] as SqsPattern, sqsAwsStack, runId),
              tags: { [sluiceTagKeys.runId]: runId, [sluiceTagKeys.scenario]: scenario.name },
              timeoutMs: 10 * 60_000,
            });
            await clients.sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: stack.outputs[stackOutputKeys.queueUrl],
                Entries: eventIds.map((sluiceId) => ({ Id: String(sluiceId), MessageBody: JSON.stringify({ sluiceId, sentAtMs: Date.now(), key: `k${sluiceId}` }) })),
              }),
            );
            const records = await drainCompletionRecords(clients.sqs, stack.outputs[stackOutputKeys.sinkQueueUrl], {
              expectedCompletions: eventIds.length,
              timeoutMs: 5 * 60_000,
              waitTimeSeconds: 10,
            });
            const completed = records.filter((r) => !r.failed);
            expect([...new Set(completed.map((r) => r.eventId))].sort((a, b) => Number(a) - Number(b))).toEqual(eventIds);
            for (const record of completed) {
              expect(record.sentAtMs).not.toBeNull();
              expect(record.completedAtMs).toBeGreaterThanOrEqual(record.sentAtMs!);
              expect(record.durationMs).toBeGreaterThanOrEqual(9);
            }
            expect(completed.some((r) => r.coldStart)).toBe(true);
          },
          { s3Client: clients.s3, timeoutMs: 10 * 60_000 },
        );
        expect(await findLeftoverStacks(clients.cloudFormation, { runId })).toEqual([]);
      } finally {
        clients.destroy();
      }
    },
    25 * 60_000,
  );
});
