import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ClientSettings {
  region: string;
  /** Undefined for real AWS (the SDK resolves the endpoint). */
  endpoint?: string;
  /** Dummy credentials for local targets; undefined means the SDK's default chain. */
  useLocalCredentials: boolean;
}

/**
 * Settings for every AWS SDK client sluice makes. SDK v3 has no request timeout by
 * default, so a stuck emulator would hang a run: every request is bounded here. Long polls
 * (20 s) fit inside the timeout.
 */
export function sdkClientConfig(settings: ClientSettings, options: { maxAttempts?: number; requestTimeoutMs?: number } = {}) {
  const agentOptions = { keepAlive: true, maxSockets: 512 };
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.useLocalCredentials ? { credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' } } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
      httpAgent: new Agent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  };
}
