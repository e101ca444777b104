import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * SDK v3 sets no request timeout by default, so a silent network path hangs a run forever.
 * Every client sluice creates gets these bounds instead.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * (and the `requestTimeout` / `throwOnRequestTimeout` options of @smithy/node-http-handler).
 */
export const awsClientTimeoutDefaults = {
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 5_000,
  maxAttempts: 3,
} as const;

/** Where and how an AWS client connects. */
export interface AwsClientOptions {
  region: string;
  /** LocalStack or sluice's edge (`http://127.0.0.1:4566`); omit for real AWS. */
  endpoint?: string;
  /** Credentials or a provider; omit for the SDK's default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A profile in ~/.aws/config, as AWS_PROFILE would select. */
  profile?: string;
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  maxAttempts?: number;
}

/** The configuration object every sluice AWS client is built from. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  profile?: string;
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
}

/**
 * Client configuration with a bounded request: `requestTimeout` and
 * `throwOnRequestTimeout: true` on the HTTP handler, a connection timeout and a retry cap.
 *
 * @example
 * const cloudFormation = new CloudFormationClient(awsClientConfig({ region: 'eu-west-1' }));
 */
export function awsClientConfig(options: AwsClientOptions): AwsClientConfig {
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: options.maxAttempts ?? awsClientTimeoutDefaults.maxAttempts,
    requestHandler: new NodeHttpHandler({
      requestTimeout: options.requestTimeoutMs ?? awsClientTimeoutDefaults.requestTimeoutMs,
      connectionTimeout: options.connectionTimeoutMs ?? awsClientTimeoutDefaults.connectionTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}

/** The clients the `aws` target uses. */
export interface AwsClients {
  cloudFormation: CloudFormationClient;
  cloudWatch: CloudWatchClient;
  s3: S3Client;
  sqs: SQSClient;
  sts: STSClient;
  destroy(): void;
}

/**
 * Creates the clients of the `aws` target, all with bounded requests. Creating a client
 * makes no request; nothing reaches AWS until a command is sent.
 *
 * @example
 * const clients = createAwsClients({ region: 'us-east-1' });
 * try { await deployStack(clients.cloudFormation, request); } finally { clients.destroy(); }
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const cloudFormation = new CloudFormationClient(awsClientConfig(options));
  const cloudWatch = new CloudWatchClient(awsClientConfig(options));
  // Path-style addressing keeps bucket names out of DNS, which LocalStack endpoints need.
  const s3 = new S3Client({ ...awsClientConfig(options), forcePathStyle: Boolean(options.endpoint) });
  const sqs = new SQSClient(awsClientConfig(options));
  const sts = new STSClient(awsClientConfig(options));
  return {
    cloudFormation,
    cloudWatch,
    s3,
    sqs,
    sts,
    destroy() {
      for (const client of [cloudFormation, cloudWatch, s3, sqs, sts]) client.destroy();
    },
  };
}
