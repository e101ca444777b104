import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../targets/aws/clients.ts';
import { connectToEndpoint, dockerAvailability, localstackServicesFor, startLocalstack } from '../../localstack/localstack-container.ts';
import { sourceModules } from '../../drivers/registry.ts';

/** LocalStack's services of a source, as its module names them. */
const servicesOf = (source: string) => (sourceModules as Record<string, { localstackServices: readonly string[] }>)[source]?.localstackServices;

/**
 * LocalStack started through Testcontainers. Needs a Docker engine and a Node version that
 * testcontainers supports; otherwise it is skipped with the reason printed.
 */
const docker = await dockerAvailability();
if (!docker.available) console.warn(`[localstack-docker] skipped: ${docker.reason}`);

describe('LocalStack through Testcontainers', () => {
  it.skipIf(!docker.available)(
    'starts LocalStack with sqs only, and creates, sends and receives one message',
    async () => {
      const services = localstackServicesFor([{ source: 'sqs' }], { servicesOf });
      const target = await startLocalstack({ services });
      try {
        expect(target.startedBySluice).toBe(true);
        expect(target.services.sqs).toMatch(/running|available/);
        const sqs = new SQSClient(
          awsClientConfig({ region: 'us-east-1', endpoint: target.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
        );
        try {
          const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sluice-it' }));
          const body = JSON.stringify({ eventId: 'e1', sentAtMs: Date.now() });
          await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
          // Poll for the message (bounded), never a fixed sleep.
          const deadline = Date.now() + 30_000;
          let received: string | undefined;
          while (!received && Date.now() < deadline) {
            const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }));
            received = answer.Messages?.[0]?.Body;
          }
          expect(received).toBe(body);
        } finally {
          sqs.destroy();
        }
        const connected = await connectToEndpoint(target.endpoint, { services });
        expect(connected).toMatchObject({ kind: 'localstack', startedBySluice: false });
      } finally {
        await target.stop();
      }
    },
    300_000,
  );
});
