import { checkedField, onlyOnAws } from '../bring-your-own.ts';

/**
 * An sqs pattern's `queueUrl`: an existing queue to send the load to (drivers/bring-your-own.ts
 * has what bringing your own means). Imports nothing but the shared field helpers, so the
 * schema that takes it stays light.
 */

/**
 * SQS queue names: up to 80 letters, digits, hyphens and underscores; a FIFO queue's name
 * ends in `.fifo` (within the 80).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html (QueueName)
 */
const queueNamePattern = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;

/** The parts of a queue URL; see {@link queueUrlProblem} for the shape. */
export interface QueueUrlParts {
  /** The region the host names (`sqs.<region>.…`, or the legacy `<region>.queue.…`), if it names one. */
  region?: string;
  accountId: string;
  name: string;
}

/**
 * Splits a queue URL into its parts, or undefined when it has not the shape. Read by
 * pattern, not with `new URL`: the emulators answer URLs such as
 * `http://sqs.us-east-1.127.0.0.1:4566/000000000000/orders`, whose host WHATWG URL parsing
 * refuses (it ends like an IPv4 address) but which the SDK sends to as it sends to any.
 *
 * @example queueUrlParts('https://sqs.eu-west-1.amazonaws.com/123456789012/orders') // { region: 'eu-west-1', accountId: '123456789012', name: 'orders' }
 */
export function queueUrlParts(text: string): QueueUrlParts | undefined {
  const match = /^https?:\/\/([^/\s?#@]+)\/(\d{12})\/([^/\s?#]+)\/?$/.exec(text);
  if (!match) return undefined;
  const [, host, accountId, name] = match as unknown as [string, string, string, string];
  const region = /^sqs\.([a-z0-9-]+)\./.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\./.exec(host)?.[1];
  return { ...(region ? { region } : {}), accountId, name };
}

/**
 * Why `text` is not a queue URL, or undefined when it is one. A queue URL ends in
 * `/<account-id>/<queue-name>`: `https://sqs.us-east-1.amazonaws.com/123456789012/orders`
 * on AWS, `http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders` on
 * LocalStack. http is allowed for the emulators; AWS serves https.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
 */
export function queueUrlProblem(text: string): string | undefined {
  const shape = 'a queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/orders (copy it from the SQS console or `aws sqs get-queue-url`)';
  if (!/^https?:\/\/[^/\s?#@]+\//.test(text)) return `"${text}" is not ${shape}`;
  const parts = queueUrlParts(text);
  if (!parts) return `"${text}" does not end in /<12-digit account id>/<queue name>: use ${shape}`;
  if (!queueNamePattern.test(parts.name)) return `"${parts.name}" is not an SQS queue name (up to 80 letters, digits, - and _, a FIFO queue's ending in .fifo)`;
  return undefined;
}

export const queueUrlSchema = checkedField(queueUrlProblem, `The URL of an existing SQS queue to send the load to; sluice creates no queue. ${onlyOnAws}`);
