import type { S3Resources } from './s3-resources.ts';
import { SluiceError } from '../../core/sluice-error.ts';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Driver, PatternRunContext, PatternSession } from '../driver.ts';
import { notifyPathQuotaRecord, type S3Pattern } from './schema.ts';
import type { OutgoingEvent } from '../../load/event-factory.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { sluiceControl } from '../../localstack/embedded/sluice-control.ts';
import { asyncConsumerSide } from '../async-invoke/async-lambda-target.ts';
import { objectNotifiesFor, provisionNotificationDestination, s3PathOf, type NotificationDestination } from './notification-destinations.ts';
import { enforcerOn } from '../eventbridge/eventbridge-driver.ts';
import { idReaderFor, objectKeyFor, remoteObjectKeyFor } from './object-keys.ts';

/** Objects deleted at teardown at most (a bucket is emptied before it is deleted; the emulator's files go with the target anyway). */
const teardownObjectsMax = 200_000;
const retryableCodes = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'TimeoutError', 'ThrottlingException']);
const producerBackoffInitialMs = 50;
const producerBackoffMaxMs = 2_000;

/** Stable codes of {@link S3DriverError}. */
export const s3DriverErrorCodes = {
  existingBucketNeedsRemoteConsumer: 'SLUICE_S3_EXISTING_BUCKET_NEEDS_REMOTE_CONSUMER',
} as const;

/** The pattern cannot run as asked. */
export class S3DriverError extends SluiceError<(typeof s3DriverErrorCodes)[keyof typeof s3DriverErrorCodes]> {}

/**
 * The `s3` pattern: PutObject into a bucket whose notification configuration invokes the
 * function asynchronously, one invoke per object event (at-least-once, unordered).
 *
 * With `existing.BucketName` (a managed stack's bucket) objects go to that bucket, which
 * the driver neither creates, configures nor empties. With a `remote` consumer the stack's
 * notification configuration invokes its Lambda: sluice starts no Invoke endpoint, and
 * each key ends in `<sentAtMs>-<id>`, the segment the stack's consumer reads the event
 * from ({@link remoteObjectKeyFor}; targets/aws/consumer-code.ts).
 */
export const s3Driver: Driver<S3Pattern, S3Resources> = {
  source: 's3',
  quotas(pattern, target) {
    const enforcedBy = enforcerOn(target);
    return [
      { name: 's3.put_requests_per_prefix', limit: `${pattern.putRequestsPerSecondPerPrefix} PUT/COPY/POST/DELETE per second per prefix`, enforcedBy },
      { name: 's3.get_requests_per_prefix', limit: `${pattern.getRequestsPerSecondPerPrefix} GET/HEAD per second per prefix`, enforcedBy },
      notifyPathQuotaRecord(pattern),
    ];
  },
  provision: provisionS3,
};

async function provisionS3(context: PatternRunContext<S3Pattern, S3Resources>): Promise<PatternSession> {
  const { pattern, target, ledger, recorder, clock } = context;
  const settings = target.clientSettings;
  const client = new S3Client({
    ...sdkClientConfig(settings, { maxAttempts: 1 }),
    forcePathStyle: true,
    // Checksums in trailers (aws-chunked) are newer than the emulator; ask for them only where S3 requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const remote = context.consumer === 'remote';
  const existingBucket = context.existing?.bucketName;
  if (existingBucket && !remote && !context.loadOnly) {
    // A bucket has one notification configuration: pointing it at sluice's runtime would replace its owner's.
    throw new S3DriverError(
      s3DriverErrorCodes.existingBucketNeedsRemoteConsumer,
      `bucket ${existingBucket} exists already: sluice's own consumer would have to replace its notification configuration`,
      'let the bucket’s own notification consume (a remote consumer), or let sluice create a bucket of its own',
    );
  }
  const bucket = existingBucket ?? `sluice-${context.runId}-${context.patternName}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
  const warnings: string[] = [];
  const readId = idReaderFor(pattern);
  const counters = { objectsPut: 0, objectsOutsideFilter: 0, unexpectedDeliveries: 0, sourceThrottledPuts: 0 };
  const errorsByCode = new Map<string, number>();
  const outsideFilterIds = new Set<number>();
  let bucketCreated = false;

  // The rule that decides which objects notify, the one the target (or the stack) applies.
  const objectNotifies = objectNotifiesFor(pattern, bucket, settings.region);
  let destination: NotificationDestination | undefined;
  try {
    // sluice's per-prefix rates only where sluice's S3 serves the bucket; AWS applies its own.
    if (!context.loadOnly && (!remote || target.info.kind === 'embedded')) {
      await sluiceControl(settings, 's3', 'PUT', '/_sluice/s3/request-rate', { putPerSecondPerPrefix: pattern.putRequestsPerSecondPerPrefix, getPerSecondPerPrefix: pattern.getRequestsPerSecondPerPrefix });
    }
    if (!existingBucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      bucketCreated = true;
    }
    if (!remote && !context.loadOnly) {
      destination = await provisionNotificationDestination({
        context,
        s3: client,
        bucket,
        idOfKey: readId,
        isOutsideFilter: (id) => outsideFilterIds.has(id),
        onUnexpectedDelivery: () => {
          counters.unexpectedDeliveries += 1;
        },
      });
    }
  } catch (error) {
    if (bucketCreated) await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    client.destroy();
    throw error;
  }
  /** sluice's consumer at the end of the pattern's path; undefined when a remote consumer is wired by the stack. */
  const consumer = destination;
  const consumerSide =
    destination ??
    asyncConsumerSide({
      consumer: undefined,
      context,
      readServiceStats: async () => (await sluiceControl(settings, 's3', 'GET', '/_sluice/s3/stats')) as Record<string, unknown> | undefined,
    });

  async function putObject(event: OutgoingEvent, key: string, inFilter: boolean): Promise<void> {
    let backoffMs = producerBackoffInitialMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: event.body, ContentType: 'application/json' }));
        counters.objectsPut += 1;
        if (!inFilter) {
          // Stored, but no notification will ever fire for it: finished by design.
          counters.objectsOutsideFilter += 1;
          ledger.recordFiltered(event.id);
          recorder.count('accepted', clock.nowMs());
          return;
        }
        ledger.recordAccepted(event.id);
        recorder.count('accepted', clock.nowMs());
        return;
      } catch (error) {
        const code = (error as Error).name ?? 'Error';
        if (code === 'SlowDown' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 503) {
          counters.sourceThrottledPuts += 1;
          recorder.count('sourceThrottles', clock.nowMs());
          ledger.recordThrottled(event.id);
        }
        // A 5xx is S3's "retry the request" (a busy store, a dropped connection behind the edge), whatever its body.
        const statusCode = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const transient = retryableCodes.has(code) || !(error as { $metadata?: unknown }).$metadata || (statusCode !== undefined && statusCode >= 500);
        if (!transient || attempt >= pattern.producerMaxAttempts) {
          errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
          consumer?.forget(event.id);
          ledger.recordSourceFailed(event.id);
          return;
        }
        await clock.sleep(Math.random() * backoffMs);
        backoffMs = Math.min(producerBackoffMaxMs, backoffMs * 2);
        recorder.count('sourceRetries', clock.nowMs());
      }
    }
  }

  return {
    loadWorkerResources: () => ({ bucketName: bucket }),

    async sendArrival(events) {
      const nowMs = clock.nowMs();
      for (const event of events) ledger.recordSent(event.id, nowMs);
      recorder.count('sent', nowMs, events.length);
      await Promise.all(
        events.map((event) => {
          // A load worker names objects as the run's own session would: for sluice's consumer unless a remote one reads them.
          const key = destination || (context.loadOnly && !remote) ? objectKeyFor(pattern, event.id, event.key) : remoteObjectKeyFor(pattern, event.id, event.key, nowMs);
          // The same rule the target (or the stack's notification) applies, judged here so events no notification will deliver are not awaited.
          const inFilter = objectNotifies(key, event.body);
          if (!inFilter) outsideFilterIds.add(event.id);
          return putObject(event, key, inFilter);
        }),
      );
    },

    ...consumerSide,

    extras() {
      const { serviceStats, ...consumerExtras } = consumerSide.extras() as Record<string, unknown> & { serviceStats?: Record<string, unknown> };
      return {
        bucket,
        // Who made the bucket (sluice empties and deletes only its own) and who consumed its notifications.
        bucketCreatedBy: existingBucket ? 'existing' : 'sluice',
        consumedBy: remote ? 'remote' : 'sluice',
        // The path the events take: the report names it.
        path: s3PathOf(pattern),
        ...(destination
          ? { notification: { events: pattern.notification.events, prefix: pattern.notification.prefix, suffix: pattern.notification.suffix } }
          : { objectKeys: 'the template’s part before {{ seq }}, then <sentAtMs>-<id> (what the remote consumer reads)' }),
        duplicateNotificationRate: pattern.duplicateNotificationRate,
        ...counters,
        sendErrorsByCode: Object.fromEntries(errorsByCode),
        ...consumerExtras,
        // Target-wide counters (every s3 pattern of the run on this target).
        ...(serviceStats ? { s3: serviceStats } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },

    async teardown() {
      if (bucketCreated) {
        bucketCreated = false;
        await emptyBucket(client, bucket).catch(() => undefined);
        await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      }
      await consumer?.teardown();
      client.destroy();
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    deleted += keys.length;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && deleted < teardownObjectsMax);
}
