import { startEdge, type EdgeEndpoint, type EdgeService } from './edge.ts';
import { startSqsService } from './sqs-service.ts';
import { startKinesisService } from './kinesis/kinesis-service.ts';
import { startEmbeddedEventBridge } from './eventbridge/embedded-eventbridge.ts';
import { startLambdaService } from './lambda/function-directory.ts';
import { startS3Service } from './s3/s3-service.ts';

/** Services the embedded target can run, each started only when a pattern needs it. */
export const embeddedServiceStarters = {
  sqs: startSqsService,
  kinesis: () => startKinesisService(),
  eventbridge: () => startEmbeddedEventBridge(),
  s3: () => startS3Service(),
  lambda: () => startLambdaService(),
} as const satisfies Record<string, () => Promise<EdgeService>>;

export type EmbeddedServiceName = keyof typeof embeddedServiceStarters;

/**
 * Starts the embedded emulators behind one edge endpoint on 127.0.0.1. A port already in
 * use is reported as such, with what to do.
 */
export async function startEmbeddedServices(names: EmbeddedServiceName[], port = 0): Promise<EdgeEndpoint> {
  const services: EdgeService[] = [];
  try {
    // EventBridge rules and S3 notifications invoke functions through the Lambda service.
    const needsLambda = names.includes('eventbridge') || names.includes('s3');
    for (const name of new Set<EmbeddedServiceName>([...names, ...(needsLambda ? (['lambda'] as const) : [])])) services.push(await embeddedServiceStarters[name]());
    return await startEdge(services, port);
  } catch (error) {
    await Promise.allSettled(services.map((service) => service.close()));
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw Object.assign(new Error(`port ${port} on 127.0.0.1 is already in use: stop what holds it, or pass another --port (0 picks a free one)`), { code: 'SLUICE_PORT_TAKEN' });
    }
    throw error;
  }
}
