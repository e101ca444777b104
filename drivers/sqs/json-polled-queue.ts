import { Agent, request as httpRequest } from 'node:http';
import { SluiceError } from '../../core/sluice-error.ts';
import { queueMessageOf, type PolledQueue, type QueueMessage } from './polled-queue.ts';

/** An SQS API call the local consumer made was refused or did not complete. */
export class SqsApiError extends SluiceError<'SLUICE_SQS_API'> {}

/** Wire shape of one message in a ReceiveMessage answer (SQS's JSON protocol). */
interface WireMessage {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  Attributes?: Record<string, string>;
}

/** Longest a call may take: a 20 s long poll plus the emulator's own time. */
const requestTimeoutMs = 30_000;

/**
 * {@link PolledQueue} over SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`, as the
 * SDK sends it) on plain keep-alive HTTP, without the SDK's per-call middleware, signing and
 * retries. For the embedded target only, whose edge routes by X-Amz-Target and checks no
 * signature: measured on a 2-core machine, the SDK costs about 0.8 ms of the run's CPU per
 * call and this under a tenth of that, and the run's process — not the emulator — is what
 * limits an SQS run with its consumer (`npm run bench`). Load still goes through the real
 * SDK, and the mapping's rules do not change: only how its receives and deletes travel.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 */
export function jsonProtocolPolledQueue(endpoint: string, queueUrl: string, visibilityTimeoutMs: number): PolledQueue & { destroy(): void } {
  const url = new URL(endpoint);
  // One socket per waiting long poll: as many as the mapping can run pollers, and then some.
  const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

  function call<Answer>(action: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<Answer> {
    const body = JSON.stringify(input);
    return new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port || 80,
          method: 'POST',
          path: '/',
          agent,
          signal,
          timeout: requestTimeoutMs,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}`, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch (error) {
              reject(new SqsApiError('SLUICE_SQS_API', `SQS ${action} answered HTTP ${response.statusCode} with a body that is not JSON`, 'the embedded SQS emulator misbehaved; re-run, and run `npx sluice serve --services sqs` alone to see its output', { cause: error }));
              return;
            }
            if ((response.statusCode ?? 500) >= 300) {
              const type = String(parsed.__type ?? 'UnknownError').split('#').pop();
              reject(new SqsApiError('SLUICE_SQS_API', `SQS ${action} failed: ${type}: ${String(parsed.message ?? text)}`, 'the mapping backs off and polls again; if it repeats, the queue is gone or the emulator is failing'));
              return;
            }
            resolve(parsed as Answer);
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new SqsApiError('SLUICE_SQS_API', `SQS ${action} did not answer within ${requestTimeoutMs / 1000} s`, 'the embedded emulator is overloaded or stuck; lower the rate or re-run')));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  return {
    async receive(maxMessages, waitMs, signal) {
      const answer = await call<{ Messages?: WireMessage[] }>(
        'ReceiveMessage',
        {
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, maxMessages)),
          WaitTimeSeconds: Math.min(20, Math.max(0, Math.round(waitMs / 1000))),
          VisibilityTimeout: Math.round(visibilityTimeoutMs / 1000),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId', 'SequenceNumber'],
        },
        signal,
      );
      return (answer.Messages ?? []).map(queueMessageOf);
    },
    async deleteBatch(messages) {
      // DeleteMessageBatch takes 10 entries per call.
      const chunks: QueueMessage[][] = [];
      for (let start = 0; start < messages.length; start += 10) chunks.push(messages.slice(start, start + 10));
      await Promise.all(chunks.map((chunk) => call('DeleteMessageBatch', { QueueUrl: queueUrl, Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })) })));
    },
    async visibleMessages() {
      const answer = await call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] });
      return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    destroy() {
      agent.destroy();
    },
  };
}
