import { z } from 'zod';

/**
 * "Bring your own": the optional pattern fields that name resources which already exist —
 * the source (`queueUrl`, `streamName`, `busName`, `bucket`, `apiUrl`) and the consumer
 * (`functionName`). With them, on `--target aws` (or `--target localstack --consumer
 * localstack`), sluice creates nothing for what they name: it sends load to the source and
 * reads CloudWatch's metrics of the resources; see targets/aws/template.ts for what a
 * stack still creates in each combination.
 *
 * The field schemas live here, beside the rules of what they mean, and each source's schema
 * (drivers/<source>/schema.ts) takes its own. This module imports nothing but zod, so
 * validating a scenario file still loads no SDK.
 *
 * On the embedded target, and on `--target localstack` with sluice's own consumer, these
 * fields are refused at run start ({@link bringYourOwnTargetProblems}): there sluice's
 * runtime consumes the resources it creates itself, and the drivers would otherwise ignore
 * the names silently — a run that looks fine but never touched the queue the file names.
 * They are not refused at validation because a scenario file is the same for every target
 * (README, "Targets"): only the command line picks the target, after the file is valid.
 */

/**
 * A Lambda function name, optionally with `:alias` or `:version`, or a function ARN. Names
 * are 1–64 letters, digits, hyphens and underscores; qualifiers are `$LATEST`, a version
 * number or an alias name (1–128 of the same characters, not only digits).
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName) and
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html (Name)
 */
const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
const functionQualifierPattern = /^(\$LATEST|\d+|[A-Za-z0-9_-]{1,128})$/;
const functionArnPattern = /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:function:([A-Za-z0-9_-]{1,64})(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** Why `text` is not a function name or ARN Lambda accepts, or undefined when it is one. */
export function functionNameProblem(text: string): string | undefined {
  if (text.startsWith('arn:')) {
    return functionArnPattern.test(text) ? undefined : `"${text}" is not a Lambda function ARN (arn:aws:lambda:<region>:<account-id>:function:<name>[:<alias or version>])`;
  }
  const [name, qualifier, ...rest] = text.split(':');
  if (rest.length > 0 || !name || !functionNamePattern.test(name)) {
    return `"${text}" is not a Lambda function name: 1–64 letters, digits, - and _, optionally :alias or :version, or the function's ARN`;
  }
  if (qualifier !== undefined && !functionQualifierPattern.test(qualifier)) {
    return `"${qualifier}" is not a Lambda alias or version (letters, digits, - and _, a version number, or $LATEST)`;
  }
  return undefined;
}

/**
 * The function's bare name, as CloudWatch's `FunctionName` dimension and the console name it:
 * `orders`, `orders:live` and `arn:aws:lambda:…:function:orders:live` all give `orders`.
 *
 * @example lambdaFunctionNameOf('arn:aws:lambda:eu-west-1:123456789012:function:orders:live') // 'orders'
 */
export function lambdaFunctionNameOf(functionName: string): string {
  const arn = functionArnPattern.exec(functionName);
  if (arn) return arn[2]!;
  return functionName.split(':')[0]!;
}

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

/**
 * Kinesis stream names: 1–128 letters, digits, underscores, hyphens and periods.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html (StreamName)
 */
const streamNamePattern = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * EventBridge event bus names: 1–256 letters, digits and `/ . - _` (partner buses have a
 * `/`); `default` is the account's default bus.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html (Name)
 */
const busNamePattern = /^[/.\-_A-Za-z0-9]{1,256}$/;

/**
 * Why `text` is not a general purpose bucket name, or undefined when it is one: 3–63
 * characters of lowercase letters, digits, dots and hyphens, starting and ending with a
 * letter or digit, no two adjacent dots, not an IP address, none of the reserved prefixes
 * and suffixes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(text: string): string | undefined {
  const problem = (why: string) => `"${text}" is not an S3 bucket name: ${why}`;
  if (text.length < 3 || text.length > 63) return problem('it must be 3–63 characters long');
  if (!/^[a-z0-9.-]+$/.test(text)) return problem('use lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(text) || !/[a-z0-9]$/.test(text)) return problem('it must start and end with a letter or digit');
  if (text.includes('..')) return problem('two dots may not be adjacent');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return problem('it may not look like an IP address');
  const reservedPrefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((prefix) => text.startsWith(prefix));
  if (reservedPrefix) return problem(`the prefix ${reservedPrefix} is reserved`);
  const reservedSuffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((suffix) => text.endsWith(suffix));
  if (reservedSuffix) return problem(`the suffix ${reservedSuffix} is reserved`);
  return undefined;
}

/**
 * Why `text` is not an API URL the load generator can send to, or undefined when it is one:
 * an absolute http(s) URL without credentials or fragment. API Gateway's own endpoints
 * (`*.execute-api.<region>.amazonaws.com`) answer HTTPS only.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
 */
export function apiUrlProblem(text: string): string | undefined {
  const shape = 'the URL the load is sent to, such as https://abc123.execute-api.us-east-1.amazonaws.com/events (the route included)';
  const url = parseUrl(text);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) return `"${text}" is not ${shape}`;
  if (url.username || url.password) return `"${text}" carries credentials: sluice sends no authorization, so give a URL that needs none`;
  if (url.hash) return `"${text}" has a #fragment, which HTTP never sends: drop it`;
  if (url.protocol === 'http:' && /\.amazonaws\.com(\.cn)?$/.test(url.hostname)) return `"${text}": API Gateway serves HTTPS only — use https://`;
  return undefined;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A string field checked by one of the `…Problem` functions above. */
function checked(check: (text: string) => string | undefined, description: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const problem = check(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description });
}

const onlyOnAws = 'Only --target aws (or --target localstack --consumer localstack) uses it; other targets refuse it at run start.';

/** The field schemas, one per bring-your-own field. */
export const bringYourOwnFieldSchemas = {
  /** Your consumer function: sluice deploys no synthetic consumer; completions are then not observable. */
  functionName: checked(functionNameProblem, `An existing Lambda function (name, name:alias or ARN) that consumes this pattern instead of sluice's synthetic consumer. ${onlyOnAws}`),
  queueUrl: checked(queueUrlProblem, `The URL of an existing SQS queue to send the load to; sluice creates no queue. ${onlyOnAws}`),
  streamName: z
    .string()
    .regex(streamNamePattern, 'a Kinesis stream name: 1–128 letters, digits, _ . and -')
    .meta({ description: `The name of an existing Kinesis data stream to write the load to; sluice creates no stream. ${onlyOnAws}` }),
  busName: z
    .string()
    .regex(busNamePattern, 'an EventBridge event bus name: 1–256 letters, digits, / . - and _ (default for the account’s default bus)')
    .meta({ description: `The name of an existing EventBridge event bus to put the load on; sluice creates no bus. ${onlyOnAws}` }),
  bucket: checked(bucketNameProblem, `The name of an existing S3 bucket to write the load to; sluice creates no bucket and leaves the objects it wrote. ${onlyOnAws}`),
  apiUrl: checked(apiUrlProblem, `The URL of an existing API (route included) to send the load to; sluice creates no API. ${onlyOnAws}`),
} as const;

/** Every bring-your-own field name, the consumer's first. */
export const bringYourOwnFieldNames = ['functionName', 'queueUrl', 'streamName', 'busName', 'bucket', 'apiUrl'] as const;
export type BringYourOwnFieldName = (typeof bringYourOwnFieldNames)[number];

/** One bring-your-own field set where the target cannot use it. */
export interface BringYourOwnProblem {
  /** `patterns[0].queueUrl`, as the scenario's other problems name keys. */
  keyPath: string;
  message: string;
  hint: string;
}

/**
 * The bring-your-own fields a run cannot honour on its target, one problem per field, so a
 * user sees every one at once. Empty on `--target aws` and with `--consumer localstack`
 * (both deploy managed stacks, which take existing resources). Elsewhere sluice's runtime
 * consumes resources it creates itself, so a named resource would be ignored: refuse it
 * before anything starts, and say what to do.
 *
 * @example
 * bringYourOwnTargetProblems(scenario.patterns, { target: 'embedded' })
 * // [{ keyPath: 'patterns[0].queueUrl', message: 'names an existing queue, which only …', hint: 'Run with --target aws, or …' }]
 */
export function bringYourOwnTargetProblems(
  patterns: ReadonlyArray<{ source: string } & Partial<Record<BringYourOwnFieldName, unknown>>>,
  run: { target: 'embedded' | 'localstack' | 'aws'; consumer?: 'sluice' | 'localstack' },
): BringYourOwnProblem[] {
  if (run.target === 'aws' || run.consumer === 'localstack') return [];
  const where = run.target === 'embedded' ? 'the embedded target' : '--target localstack with sluice’s own consumer';
  return patterns.flatMap((pattern, index) =>
    bringYourOwnFieldNames
      .filter((field) => pattern[field] !== undefined)
      .map((field) => ({
        keyPath: `patterns[${index}].${field}`,
        message: `names an existing ${field === 'functionName' ? 'function' : 'resource'} (${String(pattern[field])}), which only --target aws (or --target localstack --consumer localstack) uses; on ${where} sluice creates and consumes its own resources and would ignore it`,
        hint: `Run with --target aws to load your own resources, or remove ${field} to run this pattern on sluice's own resources here.`,
      })),
  );
}
