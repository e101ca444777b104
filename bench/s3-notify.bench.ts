import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import type { Target } from '../targets/target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import { sluiceControl } from '../localstack/embedded/sluice-control.ts';
import { measureWindow, startRawInvokeSink } from './raw-invoke-sink.ts';
import { runSourceCeilingBench, type SourceCeilingBench } from './source-ceiling.ts';

/**
 * S3 notifications with their consumer: raw = PutObject loops (100 B bodies, keys spread
 * over prefixes as the pattern's default template spreads them) into a bucket whose
 * notification targets a function whose Invoke API is a plain local HTTP server answering
 * 202; counted as invokes that reached it. Held = a full sluice run of the s3 pattern.
 */
const putLoops = 16;
const warmupMs = 1_000;
const windowMs = 6_000;

async function rawPutNotify(target: Target): Promise<{ perSecond: number; lines: string[] }> {
  const settings = target.clientSettings;
  const client = new S3Client({ ...sdkClientConfig(settings), forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const suffix = Date.now().toString(36);
  const bucket = `bench-raw-${suffix}`;
  const sink = await startRawInvokeSink(settings, `bench-raw-${suffix}`);
  // The default per-prefix request rates, as a run's pattern sets them.
  await sluiceControl(settings, 's3', 'PUT', '/_sluice/s3/request-rate', { putPerSecondPerPrefix: awsDefaults.s3PutRequestsPerSecondPerPrefix.value, getPerSecondPerPrefix: awsDefaults.s3GetRequestsPerSecondPerPrefix.value });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'sink', LambdaFunctionArn: sink.functionArn, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );
  const body = JSON.stringify({ sluiceId: 0, sentAtMs: 0, padding: 'x'.repeat(60) });
  let puts = 0;
  try {
    const { perSecond, cpuUsPerEvent, emulatorCpuUsPerEvent } = await measureWindow({
      loops: putLoops,
      async work(loop, running) {
        for (let index = 0; running(); index += 1) {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: `incoming/key-${index % 100}/${loop}-${index}.json`, Body: body, ContentType: 'application/json' }));
          puts += 1;
        }
      },
      count: () => sink.invokes,
      warmupMs,
      windowMs,
      settleMs: 500,
    });
    return { perSecond, lines: [`${putLoops} PutObject loops (100 B) → notification → 202 server; ${puts} PUTs, ${sink.invokes} invokes in ${(warmupMs + windowMs) / 1000} s (objects stay in the emulator's scratch store until the target stops); CPU per event: ${Math.round(cpuUsPerEvent)} µs here + ${Math.round(emulatorCpuUsPerEvent)} µs emulators`] };
  } finally {
    await sink.close();
    client.destroy();
  }
}

export const s3CeilingBench: SourceCeilingBench = {
  source: 's3',
  work: 'PutObject → notification invoke',
  patternYaml: '{ source: s3 }',
  startTarget: () => startEmbeddedTarget([...sourceModuleFor('s3').embeddedServices], 'us-east-1'),
  measureRaw: rawPutNotify,
};

export const benchS3Notify = () => runSourceCeilingBench(s3CeilingBench);
