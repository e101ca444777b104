import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientSettings } from '../../core/client-config.ts';
import { SluiceError } from '../../core/sluice-error.ts';

/**
 * sluice's own control calls on the embedded target: things AWS configures out of band
 * (where a function's runtime listens, a quota's value) that the run sets when it
 * provisions a pattern. They are plain JSON calls under `/_sluice/<service>/…` on the edge
 * endpoint. The edge routes every request by its SigV4 credential scope, so a control call
 * carries the scope of the service it configures (`…/us-east-1/events/aws4_request`) —
 * a routing label, not a signature: the embedded target verifies no signatures.
 */
export const sluiceControlPathPrefix = '/_sluice/';

export type SluiceControlService = 'lambda' | 'events' | 's3';

/** A control call the target refused or could not answer — typically not sluice's embedded target. */
export class SluiceControlError extends SluiceError<'SLUICE_TARGET_UNSUPPORTED'> {
  declare readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super('SLUICE_TARGET_UNSUPPORTED', message, hint, options);
  }
}

/** Whether a request on the edge is one of sluice's control calls. */
export function isSluiceControlRequest(request: IncomingMessage): boolean {
  return (request.url ?? '').startsWith(sluiceControlPathPrefix);
}

/**
 * Makes one control call from the run (main process) to the embedded target.
 *
 * @example
 * await sluiceControl(target.clientSettings, 'lambda', 'PUT', '/_sluice/lambda/functions/orders', { invokeEndpoint: 'http://127.0.0.1:40123' });
 */
export async function sluiceControl(settings: ClientSettings, service: SluiceControlService, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  if (!settings.endpoint) {
    throw new SluiceControlError(`${method} ${path}: the target has no endpoint`, 'this source needs sluice’s embedded target (the default) or `sluice serve`');
  }
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  let answer: Response;
  try {
    answer = await fetch(new URL(path, settings.endpoint), {
      method,
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=sluice/${day}/${settings.region}/${service}/aws4_request, SignedHeaders=host, Signature=sluice-control`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new SluiceControlError(`${method} ${path} on ${settings.endpoint} failed: ${(error as Error).message}`, 'is the embedded target still running?', { cause: error });
  }
  const text = await answer.text();
  if (!answer.ok) {
    throw new SluiceControlError(
      `${method} ${path} on ${settings.endpoint} answered ${answer.status}: ${text.slice(0, 200)}`,
      'this source needs sluice’s embedded target (the default) or `sluice serve`; LocalStack cannot reach sluice’s runtime',
    );
  }
  return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
}

/** Reads a control call's JSON body (small by construction). */
export async function readControlJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_048_576) throw new Error('control call body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('control call body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function sendControlJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  response.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}
