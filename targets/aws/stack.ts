import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { credentialsProblemOf } from './credentials.ts';
import {
  AwsCallError,
  AwsCredentialsMissingError,
  AwsTemplateError,
  StackDeleteError,
  StackDeployError,
  StackTeardownError,
  StackTimeoutError,
} from './errors.ts';
import { sluiceTagKeys } from './template.ts';
import { realClock, type SleepClock } from '../../core/clock.ts';

/**
 * Deploying and deleting one stack per pattern run, finding stacks a crashed run left
 * behind, and making sure every stack a run created is deleted on success, failure and
 * interruption. Every function takes its CloudFormationClient as a parameter, so tests pass
 * a mocked one and nothing reaches AWS unless a caller asks.
 */

/** Bounds on every wait; CloudFormation itself has no timeout on a delete. */
export const stackWaitDefaults = {
  createTimeoutMs: 20 * 60_000,
  deleteTimeoutMs: 20 * 60_000,
  pollIntervalMs: 5_000,
} as const;

/**
 * TemplateBody is limited to 51,200 bytes; larger templates must be uploaded to S3.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const templateBodyMaxBytes = 51_200;

interface WaitOptions {
  /** Time as the waits see it (default the wall clock); tests pass one whose sleeps return at once. */
  clock?: SleepClock;
  pollIntervalMs?: number;
  /** Called with each status seen, for progress output. */
  onStatus?: (stackName: string, status: string) => void;
  /** Stops waiting (the stack keeps changing on AWS's side; track it for teardown). */
  signal?: AbortSignal;
}

/** What {@link deployStack} creates. */
export interface StackDeployRequest extends WaitOptions {
  stackName: string;
  /** A CloudFormation template object (see buildStackTemplate). */
  template: object;
  /**
   * Stack tags; CloudFormation copies them to every resource that supports tags. The
   * sluice tags in the template's Metadata are added by default.
   */
  tags?: Record<string, string>;
  timeoutMs?: number;
  /** Used to empty a bucket before deleting a stack that failed after creating one. */
  s3Client?: S3Client;
}

/** A stack that reached CREATE_COMPLETE. */
export interface DeployedStack {
  stackName: string;
  stackId: string;
  /** Every stack output by its key (see stackOutputKeys). */
  outputs: Record<string, string>;
}

/** Options of {@link deleteStack}. */
export interface DeleteStackOptions extends WaitOptions {
  timeoutMs?: number;
  /** With it, buckets the stack owns are emptied first (CloudFormation cannot delete a non-empty bucket). */
  s3Client?: S3Client;
}

function isMissingStackError(error: unknown): boolean {
  return error instanceof Error && /does not exist/i.test(error.message);
}

function toCallError(error: unknown, operation: string): Error {
  if (error instanceof AwsCallError || error instanceof AwsCredentialsMissingError) return error;
  const problem = credentialsProblemOf(error);
  if (problem) return new AwsCredentialsMissingError(problem, { cause: error, detail: (error as Error).message });
  return new AwsCallError(operation, error);
}

async function describeStack(client: CloudFormationClient, stackNameOrId: string): Promise<Stack | undefined> {
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
    return answer.Stacks?.[0];
  } catch (error) {
    if (isMissingStackError(error)) return undefined;
    throw toCallError(error, 'cloudformation:DescribeStacks');
  }
}

/**
 * Polls DescribeStacks until the status leaves `*_IN_PROGRESS`, or the time bound passes.
 * Returns the last stack seen, or undefined when the stack no longer exists.
 */
async function waitWhileInProgress(
  client: CloudFormationClient,
  stackNameOrId: string,
  displayName: string,
  timeoutMs: number,
  options: WaitOptions,
): Promise<Stack | undefined> {
  const clock = options.clock ?? realClock;
  const interval = options.pollIntervalMs ?? stackWaitDefaults.pollIntervalMs;
  const deadline = clock.nowMs() + timeoutMs;
  let lastStatus = 'UNKNOWN';
  for (;;) {
    options.signal?.throwIfAborted();
    const stack = await describeStack(client, stackNameOrId);
    if (!stack) return undefined;
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (status !== lastStatus) options.onStatus?.(displayName, status);
    lastStatus = status;
    if (!status.endsWith('_IN_PROGRESS')) return stack;
    if (clock.nowMs() >= deadline) throw new StackTimeoutError(displayName, status, timeoutMs);
    await clock.sleep(Math.min(interval, Math.max(0, deadline - clock.nowMs())));
  }
}

/**
 * CloudFormation's own reasons for the resources that failed, oldest first, e.g.
 * `SourceQueue (AWS::SQS::Queue): Resource handler returned message: "…"`.
 */
async function failureReasons(client: CloudFormationClient, stackId: string): Promise<string[]> {
  const reasons: string[] = [];
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < 5; page++) {
      const answer = await client.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }));
      for (const event of answer.StackEvents ?? []) {
        const reason = event.ResourceStatusReason;
        if (!event.ResourceStatus?.endsWith('_FAILED') || !reason || /cancelled/i.test(reason)) continue;
        reasons.push(`${event.LogicalResourceId} (${event.ResourceType}): ${reason}`);
      }
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
  } catch {
    // The reasons make the error better; their absence must not hide it.
  }
  return [...new Set(reasons.reverse())];
}

function outputsOf(stack: Stack): Record<string, string> {
  return Object.fromEntries((stack.Outputs ?? []).filter((o) => o.OutputKey).map((o) => [o.OutputKey!, o.OutputValue ?? '']));
}

/**
 * The sluice tags of a template built by buildStackTemplate (from its Metadata), so a stack
 * is findable by `sluice cleanup` even when the caller passes no tags.
 */
function sluiceTagsOf(template: object): Record<string, string> {
  const meta = (template as { Metadata?: { sluice?: { runId?: unknown; scenario?: unknown; pattern?: unknown } } }).Metadata?.sluice;
  const tags: Record<string, string> = {};
  if (typeof meta?.runId === 'string') tags[sluiceTagKeys.runId] = meta.runId;
  if (typeof meta?.scenario === 'string') tags[sluiceTagKeys.scenario] = meta.scenario;
  if (typeof meta?.pattern === 'string') tags[sluiceTagKeys.pattern] = meta.pattern;
  return tags;
}

/**
 * Creates a stack and waits (bounded) for CREATE_COMPLETE, returning its outputs. When
 * creation fails, collects CloudFormation's reasons, makes sure the stack is deleted, and
 * throws {@link StackDeployError}. Track the stack name for teardown *before* calling this,
 * so an interruption during the wait still deletes it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 *
 * @example
 * const stack = await deployStack(cloudFormation, { stackName, template, tags: { 'sluice:run-id': runId } });
 * const queueUrl = stack.outputs[stackOutputKeys.queueUrl];
 */
export async function deployStack(client: CloudFormationClient, request: StackDeployRequest): Promise<DeployedStack> {
  const body = JSON.stringify(request.template);
  if (Buffer.byteLength(body) > templateBodyMaxBytes) {
    throw new AwsTemplateError(
      [`the template of ${request.stackName} is ${Buffer.byteLength(body)} bytes; CloudFormation takes at most ${templateBodyMaxBytes} inline`],
      'Use fewer rules in this pattern, or split them over several patterns.',
    );
  }
  const timeoutMs = request.timeoutMs ?? stackWaitDefaults.createTimeoutMs;
  const tags = { ...sluiceTagsOf(request.template), ...request.tags };
  let stackId: string;
  try {
    const created = await client.send(
      new CreateStackCommand({
        StackName: request.stackName,
        TemplateBody: body,
        // The consumer's role has a generated name, so CAPABILITY_IAM (not NAMED_IAM) suffices.
        Capabilities: ['CAPABILITY_IAM'],
        // If sluice dies while waiting, CloudFormation still cleans a failed stack up by itself.
        OnFailure: 'DELETE',
        TimeoutInMinutes: Math.max(1, Math.ceil(timeoutMs / 60_000)),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    stackId = created.StackId ?? request.stackName;
  } catch (error) {
    throw toCallError(error, `cloudformation:CreateStack ${request.stackName}`);
  }

  let stack: Stack | undefined;
  try {
    stack = await waitWhileInProgress(client, stackId, request.stackName, timeoutMs, request);
  } catch (error) {
    if (error instanceof StackTimeoutError) {
      await deleteStack(client, stackId, { ...request, timeoutMs: stackWaitDefaults.deleteTimeoutMs, signal: undefined }).catch(() => undefined);
    }
    throw error;
  }
  if (stack?.StackStatus === 'CREATE_COMPLETE') {
    return { stackName: request.stackName, stackId, outputs: outputsOf(stack) };
  }

  const status = stack?.StackStatus ?? 'DELETE_COMPLETE';
  const reasons = await failureReasons(client, stackId);
  let deleted = status === 'DELETE_COMPLETE';
  let deleteError: unknown;
  if (!deleted) {
    try {
      await deleteStack(client, stackId, { ...request, timeoutMs: stackWaitDefaults.deleteTimeoutMs, signal: undefined });
      deleted = true;
    } catch (error) {
      deleteError = error;
    }
  }
  throw new StackDeployError(request.stackName, stack?.StackStatusReason ? `${status}: ${stack.StackStatusReason}` : status, reasons, {
    deleted,
    cause: deleteError,
  });
}

/**
 * Deletes every object of a bucket (CloudFormation refuses to delete a bucket that holds
 * any), 1,000 keys per request. Returns how many objects were deleted.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/empty-bucket.html
 *
 * @example
 * await emptyBucket(s3, 'sluice-1a2b3c-s3-123456789012-us-east-1');
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    let listed;
    try {
      listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchBucket') return deleted;
      throw toCallError(error, `s3:ListObjectsV2 ${bucket}`);
    }
    const keys = (listed.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length === 0) return deleted;
    try {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    } catch (error) {
      throw toCallError(error, `s3:DeleteObjects ${bucket}`);
    }
    deleted += keys.length;
  }
}

async function bucketsOfStack(client: CloudFormationClient, stackNameOrId: string): Promise<string[]> {
  const buckets: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    let answer;
    try {
      answer = await client.send(new ListStackResourcesCommand({ StackName: stackNameOrId, NextToken: nextToken }));
    } catch (error) {
      if (isMissingStackError(error)) return buckets;
      throw toCallError(error, 'cloudformation:ListStackResources');
    }
    for (const resource of answer.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::S3::Bucket' && resource.PhysicalResourceId && resource.ResourceStatus !== 'DELETE_COMPLETE') {
        buckets.push(resource.PhysicalResourceId);
      }
    }
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return buckets;
}

/**
 * Deletes a stack and waits (bounded) until it is gone. Deleting a stack that does not
 * exist succeeds. Throws {@link StackDeleteError} on DELETE_FAILED, with CloudFormation's
 * reasons, and {@link StackTimeoutError} past the bound.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html
 *
 * @example
 * await deleteStack(cloudFormation, 'sluice-orders-s3-20260101t120000z', { s3Client: s3 });
 */
export async function deleteStack(client: CloudFormationClient, stackNameOrId: string, options: DeleteStackOptions = {}): Promise<void> {
  const before = await describeStack(client, stackNameOrId);
  if (!before || before.StackStatus === 'DELETE_COMPLETE') return;
  const stackId = before.StackId ?? stackNameOrId;
  const displayName = before.StackName ?? stackNameOrId;
  if (options.s3Client) {
    for (const bucket of await bucketsOfStack(client, stackId)) await emptyBucket(options.s3Client, bucket);
  }
  try {
    await client.send(new DeleteStackCommand({ StackName: stackId }));
  } catch (error) {
    if (isMissingStackError(error)) return;
    if (!(error instanceof Error && error.name === 'ValidationError')) throw toCallError(error, `cloudformation:DeleteStack ${displayName}`);
    // A stack in the middle of another operation may refuse deletion: wait for it to
    // settle (bounded), then ask once more.
    const settled = await waitWhileInProgress(client, stackId, displayName, options.timeoutMs ?? stackWaitDefaults.deleteTimeoutMs, options);
    if (!settled || settled.StackStatus === 'DELETE_COMPLETE') return;
    try {
      await client.send(new DeleteStackCommand({ StackName: stackId }));
    } catch (retryError) {
      if (isMissingStackError(retryError)) return;
      throw toCallError(retryError, `cloudformation:DeleteStack ${displayName}`);
    }
  }
  const after = await waitWhileInProgress(client, stackId, displayName, options.timeoutMs ?? stackWaitDefaults.deleteTimeoutMs, options);
  if (!after || after.StackStatus === 'DELETE_COMPLETE') return;
  throw new StackDeleteError(displayName, await failureReasons(client, stackId));
}

/** A stack a run left behind. */
export interface LeftoverStack {
  stackName: string;
  stackId: string;
  status: string;
  createdAtMs?: number;
  runId?: string;
  scenario?: string;
  pattern?: string;
  /** `tag`: it carries sluice:run-id; `name`: only its name starts with the prefix. */
  matchedBy: 'tag' | 'name';
}

/** Options of {@link findLeftoverStacks}. */
export interface FindLeftoverOptions {
  /** Only stacks of this run. */
  runId?: string;
  /** Stacks whose name starts with this count too, even untagged (default `sluice-`). */
  namePrefix?: string;
}

/**
 * Lists stacks sluice created that still exist (any status but DELETE_COMPLETE): those
 * tagged `sluice:run-id`, and those named with the `sluice-` prefix. Used by `sluice cleanup`.
 * DescribeStacks without a name returns every stack of the region that is not deleted.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 *
 * @example
 * const leftovers = await findLeftoverStacks(cloudFormation);
 * // [{ stackName: 'sluice-orders-sqs-r1', status: 'CREATE_COMPLETE', runId: 'r1', matchedBy: 'tag' }]
 */
export async function findLeftoverStacks(client: CloudFormationClient, options: FindLeftoverOptions = {}): Promise<LeftoverStack[]> {
  const prefix = options.namePrefix ?? 'sluice-';
  const found: LeftoverStack[] = [];
  let nextToken: string | undefined;
  // A bound on pages (100 stacks each) so a huge account cannot keep this running forever.
  for (let page = 0; page < 200; page++) {
    let answer;
    try {
      answer = await client.send(new DescribeStacksCommand({ NextToken: nextToken }));
    } catch (error) {
      throw toCallError(error, 'cloudformation:DescribeStacks');
    }
    for (const stack of answer.Stacks ?? []) {
      if (!stack.StackName || stack.StackStatus === 'DELETE_COMPLETE') continue;
      const tags = Object.fromEntries((stack.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      const runId = tags[sluiceTagKeys.runId];
      const byTag = runId !== undefined;
      const byName = stack.StackName.startsWith(prefix);
      if (options.runId !== undefined ? runId !== options.runId : !byTag && !byName) continue;
      found.push({
        stackName: stack.StackName,
        stackId: stack.StackId ?? stack.StackName,
        status: stack.StackStatus ?? 'UNKNOWN',
        ...(stack.CreationTime ? { createdAtMs: stack.CreationTime.getTime() } : {}),
        ...(runId !== undefined ? { runId } : {}),
        ...(tags[sluiceTagKeys.scenario] !== undefined ? { scenario: tags[sluiceTagKeys.scenario] } : {}),
        ...(tags[sluiceTagKeys.pattern] !== undefined ? { pattern: tags[sluiceTagKeys.pattern] } : {}),
        matchedBy: byTag ? 'tag' : 'name',
      });
    }
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return found;
}

/** The outcome of deleting one leftover stack. */
export interface CleanupOutcome {
  stackName: string;
  deleted: boolean;
  error?: Error;
}

/**
 * Finds leftover stacks and deletes them, a few at a time; never throws for one stack,
 * reports each outcome instead (the `sluice cleanup` command prints them).
 *
 * @example
 * const outcomes = await cleanupLeftoverStacks(cloudFormation, { s3Client: s3 });
 */
export async function cleanupLeftoverStacks(
  client: CloudFormationClient,
  options: FindLeftoverOptions & DeleteStackOptions & { concurrency?: number } = {},
): Promise<CleanupOutcome[]> {
  const leftovers = await findLeftoverStacks(client, options);
  const outcomes: CleanupOutcome[] = [];
  const queue = [...leftovers];
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, queue.length)) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await deleteStack(client, next.stackId, options);
        outcomes.push({ stackName: next.stackName, deleted: true });
      } catch (error) {
        outcomes.push({ stackName: next.stackName, deleted: false, error: error as Error });
      }
    }
  });
  await Promise.all(workers);
  return outcomes;
}

/**
 * The stacks of a run, to delete whatever happens: `track` each stack before deploying it,
 * call `deleteAll` from a `finally` (and from a signal handler, see
 * {@link deleteStacksOnSignal}).
 */
export interface StackTeardown {
  track(stackName: string): void;
  /** Deletes every tracked stack (in parallel); throws {@link StackTeardownError} listing failures. Safe to call twice. */
  deleteAll(): Promise<void>;
  readonly tracked: readonly string[];
}

/**
 * Creates a teardown registry for one run.
 *
 * @example
 * const teardown = createStackTeardown(cloudFormation, { s3Client: s3 });
 * try {
 *   teardown.track(stackName);
 *   const stack = await deployStack(cloudFormation, { stackName, template });
 *   // … run the load …
 * } finally {
 *   await teardown.deleteAll();
 * }
 */
export function createStackTeardown(client: CloudFormationClient, options: DeleteStackOptions = {}): StackTeardown {
  const pending = new Set<string>();
  let running: Promise<void> | undefined;
  const deleteAll = async (): Promise<void> => {
    if (running) await running.catch(() => undefined);
    if (pending.size === 0) return;
    const names = [...pending];
    pending.clear();
    running = (async () => {
      const results = await Promise.allSettled(names.map((name) => deleteStack(client, name, options)));
      const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{ stackName: names[i], error: result.reason as Error }] : []));
      if (failures.length) {
        for (const failure of failures) pending.add(failure.stackName);
        throw new StackTeardownError(failures);
      }
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };
  return {
    track(stackName) {
      pending.add(stackName);
    },
    deleteAll,
    get tracked() {
      return [...pending];
    },
  };
}

/** The part of `process` signal handling needs; tests pass a fake. */
export interface SignalTarget {
  readonly pid: number;
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
  kill(pid: number, signal: NodeJS.Signals): unknown;
}

/**
 * On SIGINT or SIGTERM, deletes every tracked stack, then lets the signal take its normal
 * course (it removes its own listeners and raises the signal again; it never calls
 * `process.exit`). Returns a function that unregisters it. If the CLI handles signals
 * itself, call `teardown.deleteAll()` from its handler instead.
 *
 * @example
 * const teardown = createStackTeardown(cloudFormation);
 * const unregister = deleteStacksOnSignal(teardown, { onError: (e) => logger.error(e) });
 * try { … } finally { unregister(); await teardown.deleteAll(); }
 */
export function deleteStacksOnSignal(
  teardown: StackTeardown,
  options: { signals?: NodeJS.Signals[]; target?: SignalTarget; onError?: (error: unknown) => void; reRaise?: boolean } = {},
): () => void {
  const target: SignalTarget = options.target ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const listeners = new Map<NodeJS.Signals, () => void>();
  const unregister = () => {
    for (const [signal, listener] of listeners) target.removeListener(signal, listener);
    listeners.clear();
  };
  for (const signal of signals) {
    const listener = () => {
      // A second signal during deletion now ends the process; DeleteStack calls already
      // sent keep going on AWS's side.
      unregister();
      teardown
        .deleteAll()
        .catch((error) => options.onError?.(error))
        .finally(() => {
          if (options.reRaise ?? true) target.kill(target.pid, signal);
        });
    };
    listeners.set(signal, listener);
    target.once(signal, listener);
  }
  return unregister;
}

/**
 * Runs `body` with a teardown registry and deletes every tracked stack afterwards — on
 * success, on failure, and (unless `signals: false`) on SIGINT/SIGTERM. A teardown failure
 * after a failed body is passed to `onTeardownError` so the body's error is the one thrown.
 *
 * @example
 * await withStackTeardown(cloudFormation, async (teardown) => {
 *   teardown.track(stackName);
 *   const stack = await deployStack(cloudFormation, { stackName, template });
 *   return runLoad(stack.outputs);
 * });
 */
export async function withStackTeardown<T>(
  client: CloudFormationClient,
  body: (teardown: StackTeardown) => Promise<T>,
  options: DeleteStackOptions & { signals?: false | NodeJS.Signals[]; target?: SignalTarget; onTeardownError?: (error: unknown) => void } = {},
): Promise<T> {
  const teardown = createStackTeardown(client, options);
  const unregister =
    options.signals === false ? () => undefined : deleteStacksOnSignal(teardown, { signals: options.signals, target: options.target, onError: options.onTeardownError });
  let failed = false;
  try {
    return await body(teardown);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    unregister();
    try {
      await teardown.deleteAll();
    } catch (error) {
      if (!failed) throw error;
      options.onTeardownError?.(error);
    }
  }
}
