import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsClientConfig } from './clients.ts';
import { AwsCallError, AwsCredentialsMissingError, type CredentialsProblem } from './errors.ts';

/** Who sluice will act as on AWS. */
export interface AwsAccount {
  accountId: string;
  /** The caller's ARN (user, assumed role or federated session). */
  arn: string;
  region: string;
}

/** Options of {@link describeAccount} and {@link resolveAwsCredentials}. */
export interface CredentialOptions {
  /** A client to use (tests pass a mocked one); otherwise one is created with bounded requests. */
  client?: STSClient;
  /** A profile in ~/.aws/config; otherwise AWS_PROFILE or the default chain decides. */
  profile?: string;
  requestTimeoutMs?: number;
}

/**
 * Error names the SDK and STS use when credentials are absent, expired or not accepted.
 * https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html and the SDK's
 * credential providers (`CredentialsProviderError`, `TokenProviderError`).
 */
const problemByErrorName: Record<string, CredentialsProblem> = {
  CredentialsProviderError: 'missing',
  TokenProviderError: 'expired',
  ExpiredToken: 'expired',
  ExpiredTokenException: 'expired',
  RequestExpired: 'expired',
  InvalidClientTokenId: 'invalid',
  UnrecognizedClientException: 'invalid',
  SignatureDoesNotMatch: 'invalid',
  InvalidAccessKeyId: 'invalid',
};

/**
 * Classifies an SDK error as a credentials problem, or undefined when it is something else
 * (network, timeout, throttling).
 *
 * @example
 * credentialsProblemOf(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' })) // 'missing'
 */
export function credentialsProblemOf(error: unknown): CredentialsProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  const byName = problemByErrorName[error.name];
  if (byName) return byName;
  // SSO token expiry arrives under several names depending on the SDK version.
  if (/sso/i.test(error.message) && /expired|refresh/i.test(error.message)) return 'expired';
  if (/could not load credentials/i.test(error.message)) return 'missing';
  return undefined;
}

function toNamedError(error: unknown, operation: string): Error {
  const problem = credentialsProblemOf(error);
  if (problem) return new AwsCredentialsMissingError(problem, { cause: error, detail: (error as Error).message });
  return new AwsCallError(operation, error);
}

/**
 * Resolves credentials through the SDK's default chain (environment, SSO, shared config
 * and credentials files, process, web identity, container and instance roles), without
 * calling any AWS API. Throws {@link AwsCredentialsMissingError} when the chain finds none.
 *
 * Note: the last links of the chain ask the EC2 instance metadata endpoint, so on a machine
 * without credentials this can take about a second before it fails.
 *
 * @example
 * const credentials = await resolveAwsCredentials('eu-west-1');
 */
export async function resolveAwsCredentials(region: string, options: CredentialOptions = {}): Promise<AwsCredentialIdentity> {
  const client = options.client ?? new STSClient(awsClientConfig({ region, profile: options.profile, requestTimeoutMs: options.requestTimeoutMs }));
  try {
    const provider = client.config.credentials as () => Promise<AwsCredentialIdentity>;
    return await provider();
  } catch (error) {
    throw toNamedError(error, 'resolve credentials');
  } finally {
    if (!options.client) client.destroy();
  }
}

/**
 * Which account and identity the default credentials belong to, by STS GetCallerIdentity
 * (which needs no IAM permission). Use it before deploying, to print where the run goes.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 *
 * @example
 * const account = await describeAccount('us-east-1');
 * // { accountId: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/dev/alice', region: 'us-east-1' }
 */
export async function describeAccount(region: string, options: CredentialOptions = {}): Promise<AwsAccount> {
  const client = options.client ?? new STSClient(awsClientConfig({ region, profile: options.profile, requestTimeoutMs: options.requestTimeoutMs }));
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    if (!identity.Account || !identity.Arn) {
      throw new AwsCallError('sts:GetCallerIdentity', new Error('the answer had no Account or Arn'));
    }
    return { accountId: identity.Account, arn: identity.Arn, region };
  } catch (error) {
    if (error instanceof AwsCallError || error instanceof AwsCredentialsMissingError) throw error;
    throw toNamedError(error, 'sts:GetCallerIdentity');
  } finally {
    if (!options.client) client.destroy();
  }
}
