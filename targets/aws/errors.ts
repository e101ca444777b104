import { SluiceTargetError } from '../../core/sluice-error.ts';

/**
 * Named errors of the `aws` target. Each carries a stable `code` (for
 * the CLI's exit-code table and for tests), a `hint` that says what to do, and the
 * original `cause` when one exists. Library code throws these; only the CLI prints them.
 */

/** Why credentials could not be used. */
export type CredentialsProblem = 'missing' | 'expired' | 'invalid';

const credentialHints: Record<CredentialsProblem, string> = {
  missing:
    'Set AWS_PROFILE to a profile in ~/.aws/config (and run `aws sso login --profile <name>` for an SSO profile), ' +
    'or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is attached. ' +
    'See https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html',
  expired:
    'Your session has expired: run `aws sso login` (add `--profile <name>` if you use AWS_PROFILE), ' +
    'or refresh the temporary keys in AWS_SESSION_TOKEN.',
  invalid:
    'AWS refused these credentials: check that AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE) ' +
    'belong to an active key in the account and region you meant.',
};

/**
 * No usable AWS credentials: none found by the SDK's default chain, an expired SSO or
 * session token, or keys AWS does not recognise.
 *
 * @example
 * throw new AwsCredentialsMissingError('missing', { cause: error });
 */
export class AwsCredentialsMissingError extends SluiceTargetError<'SLUICE_AWS_CREDENTIALS'> {
  constructor(
    readonly problem: CredentialsProblem,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    const lead = {
      missing: 'No AWS credentials were found',
      expired: 'The AWS credentials have expired',
      invalid: 'AWS did not accept the credentials',
    }[problem];
    super('SLUICE_AWS_CREDENTIALS', options.detail ? `${lead}: ${options.detail}` : lead, { hint: credentialHints[problem], cause: options.cause });
  }
}

/**
 * A scenario pattern that cannot be expressed as a stack (for example a `module` handler
 * with no `functionName`, or a visibility timeout shorter than the function timeout). Lists
 * every problem, not just the first.
 *
 * @example
 * throw new AwsTemplateError(['patterns[0].visibilityTimeout: 10s is shorter than the function timeout 30s'], 'Raise visibilityTimeout.');
 */
export class AwsTemplateError extends SluiceTargetError<'SLUICE_AWS_TEMPLATE'> {
  constructor(
    readonly problems: string[],
    hint: string,
  ) {
    super('SLUICE_AWS_TEMPLATE', problems.join('\n'), { hint });
  }
}

/**
 * A stack that did not reach CREATE_COMPLETE. `reasons` are CloudFormation's own
 * ResourceStatusReason lines for the resources that failed; the stack has been deleted.
 *
 * @example
 * if (error instanceof StackDeployError) for (const reason of error.reasons) console.error(reason);
 */
export class StackDeployError extends SluiceTargetError<'SLUICE_AWS_STACK_FAILED'> {
  constructor(
    readonly stackName: string,
    readonly status: string,
    readonly reasons: string[],
    options: { cause?: unknown; deleted: boolean },
  ) {
    super(
      'SLUICE_AWS_STACK_FAILED',
      `Stack ${stackName} failed (${status})${reasons.length ? `:\n  ${reasons.join('\n  ')}` : ''}`,
      {
        hint: options.deleted
          ? 'The stack was deleted again. Fix the cause above (often a quota, a permission of your credentials, or a name already in use) and rerun.'
          : `The stack could not be deleted; remove it with \`sluice cleanup\` or \`aws cloudformation delete-stack --stack-name ${stackName}\`.`,
        cause: options.cause,
      },
    );
  }
}

/**
 * Waiting for a stack took longer than the bound the caller set. The stack may still be
 * changing on AWS's side.
 *
 * @example
 * throw new StackTimeoutError('sluice-demo-sqs-r1', 'CREATE_IN_PROGRESS', 900_000);
 */
export class StackTimeoutError extends SluiceTargetError<'SLUICE_AWS_STACK_TIMEOUT'> {
  constructor(
    readonly stackName: string,
    readonly lastStatus: string,
    readonly timeoutMs: number,
  ) {
    super('SLUICE_AWS_STACK_TIMEOUT', `Stack ${stackName} was still ${lastStatus} after ${Math.round(timeoutMs / 1000)}s`, {
      hint: `Check the stack's events in the CloudFormation console; run \`sluice cleanup\` to delete what is left.`,
    });
  }
}

/**
 * A stack that could not be deleted (DELETE_FAILED), with CloudFormation's reasons.
 *
 * @example
 * if (error instanceof StackDeleteError) console.error(error.reasons.join('\n'));
 */
export class StackDeleteError extends SluiceTargetError<'SLUICE_AWS_STACK_DELETE'> {
  constructor(
    readonly stackName: string,
    readonly reasons: string[],
    options: { cause?: unknown } = {},
  ) {
    super('SLUICE_AWS_STACK_DELETE', `Stack ${stackName} could not be deleted${reasons.length ? `:\n  ${reasons.join('\n  ')}` : ''}`, {
      hint:
        'A bucket that still holds objects is the usual cause: pass an S3 client to deleteStack so sluice empties it, ' +
        'or empty it yourself, then run `sluice cleanup` again.',
      cause: options.cause,
    });
  }
}

/**
 * Teardown tried every tracked stack and some could not be deleted.
 *
 * @example
 * if (error instanceof StackTeardownError) for (const f of error.failures) console.error(f.stackName, f.error.message);
 */
export class StackTeardownError extends SluiceTargetError<'SLUICE_AWS_TEARDOWN'> {
  constructor(readonly failures: Array<{ stackName: string; error: Error }>) {
    super('SLUICE_AWS_TEARDOWN', `${failures.length} stack(s) were not deleted: ${failures.map((f) => f.stackName).join(', ')}`, {
      hint: 'Run `sluice cleanup` to find and delete every leftover sluice stack.',
      cause: failures[0]?.error,
    });
  }
}

/**
 * An AWS call failed for a reason other than credentials (throttling after the SDK's
 * retries, a request timeout, a network fault, a service error).
 *
 * @example
 * throw new AwsCallError('sts:GetCallerIdentity', error);
 */
export class AwsCallError extends SluiceTargetError<'SLUICE_AWS_CALL'> {
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('SLUICE_AWS_CALL', `${operation} failed (${detail})`, { hint: awsCallHint(operation, cause), cause });
  }
}

/**
 * What to do about a refused AWS call, by AWS's error code: a permission, a quota, a name
 * an earlier run left, throttling; otherwise the network path.
 *
 * @example
 * awsCallHint('cloudformation:CreateStack sluice-demo-sqs-r1', Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
 * // 'Your credentials may not call cloudformation:CreateStack: …'
 */
export function awsCallHint(operation: string, cause: unknown): string {
  const { name = '', message = '' } = (cause ?? {}) as { name?: string; message?: string };
  const action = operation.split(' ')[0];
  if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthorizationError)$/.test(name) || /not authorized to perform/i.test(message)) {
    return (
      `Your credentials may not call ${action}: use a profile or role whose policy allows it. ` +
      (action.startsWith('cloudformation:')
        ? 'CloudFormation creates the stack with your permissions, so they must also cover what it creates (sqs, kinesis, events, s3, apigateway, lambda, logs, and iam:CreateRole/iam:PassRole for the consumer). '
        : '') +
      'See https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/control-access-with-iam.html'
    );
  }
  if (name === 'LimitExceededException') {
    return (
      'An account quota was reached (for CreateStack: stacks per region). Delete what earlier runs left with `sluice cleanup`, ' +
      'or ask for a higher quota in Service Quotas. See https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html'
    );
  }
  if (name === 'AlreadyExistsException') return 'A stack of that name exists, most likely left by an interrupted run: `sluice cleanup` finds and deletes it; then rerun.';
  if (/^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded)$/.test(name)) {
    return 'AWS throttled the calls beyond the SDK’s retries: wait a minute and rerun, and run the patterns one after the other (without --parallel).';
  }
  if (name === 'ValidationError') return 'AWS refused a value of the request (named in the message above): check the scenario value behind it against the region’s limits, then rerun.';
  return 'Check the network path to AWS and the region; a request timeout means AWS did not answer within requestTimeoutMs.';
}

