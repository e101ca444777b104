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
 * Nothing answered at a user-given endpoint (no health route, no AWS call), or its URL is
 * not an http(s) URL.
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
      hint:
        'Check the --endpoint URL and that the endpoint runs: moto (`python3 -m moto.server -p 5000`), LocalStack (`docker run -p 4566:4566 localstack/localstack:4.14.0`, ' +
        'the last release that starts without LOCALSTACK_AUTH_TOKEN), `npx sluice serve`, or any AWS-compatible endpoint.',
      cause,
    });
  }
}

/**
 * An endpoint answers, but not for a service a pattern needs (or refuses sluice's
 * credentials for it): the pattern cannot run there. The message names the endpoint, each
 * missing service with the call made and the answer it gave; the hint says what to do.
 *
 * @example
 * throw new EndpointLacksServiceError('http://127.0.0.1:5000', 'pattern kinesis (kinesis) cannot run on …', 'Enable Kinesis on the endpoint.');
 */
export class EndpointLacksServiceError extends SluiceTargetError<'SLUICE_ENDPOINT_LACKS_SERVICE'> {
  constructor(
    readonly endpoint: string,
    message: string,
    hint: string,
  ) {
    super('SLUICE_ENDPOINT_LACKS_SERVICE', message, { hint });
  }
}
