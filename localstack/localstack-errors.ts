import { SluiceTargetError } from '../core/sluice-error.ts';

/**
 * LocalStack could not be started, or did not report every requested service ready in time.
 *
 * @example
 * throw new LocalstackStartError('LocalStack did not become ready', 'Check `docker logs`.');
 */
export class LocalstackStartError extends SluiceTargetError<'SLUICE_LOCALSTACK_START'> {
  constructor(message: string, hint: string, cause?: unknown) {
    super('SLUICE_LOCALSTACK_START', message, { hint, cause });
  }
}

/**
 * A user-given endpoint did not answer its health URL (LocalStack's `/_localstack/health`
 * or sluice's `/_sluice/health`), or lacks a service the scenario needs.
 *
 * @example
 * throw new EndpointUnreachableError('http://localhost:4566', 'connection refused');
 */
export class EndpointUnreachableError extends SluiceTargetError<'SLUICE_ENDPOINT_UNREACHABLE'> {
  constructor(
    readonly endpoint: string,
    detail: string,
    cause?: unknown,
  ) {
    super('SLUICE_ENDPOINT_UNREACHABLE', `${endpoint} is not a usable target: ${detail}`, {
      hint: 'Start LocalStack (`localstack start`, or `docker run -p 4566:4566 localstack/localstack:4`) or check the --endpoint URL.',
      cause,
    });
  }
}
