import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo, type EdgeService } from './edge.ts';

/**
 * SQS for the embedded target: fauxqs (in memory), which gets visibility timeouts, redrive
 * to a DLQ, long polling and batch deletes right, and speaks the SDK's JSON protocol.
 * fauxqs's own start-up binds every interface, so sluice builds its app and listens on
 * 127.0.0.1 itself.
 */
export async function startSqsService(): Promise<EdgeService> {
  const { buildApp } = (await import('fauxqs')) as unknown as {
    buildApp(options: { logger: boolean; host: string }): {
      listen(options: { port: number; host: string }): Promise<string>;
      close(): Promise<void>;
      server: { address(): AddressInfo };
    };
  };
  const app = buildApp({ logger: false, host: '127.0.0.1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = app.server.address().port;
  return {
    signingNames: ['sqs'],
    handle(request: IncomingMessage, response: ServerResponse) {
      forwardTo(port, request, response);
    },
    close: () => app.close(),
  };
}
