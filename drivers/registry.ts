import type { Driver } from './driver.ts';
import type { SourceName } from './schemas.ts';
import { sqsDriver } from './sqs/sqs-driver.ts';
import { kinesisDriver } from './kinesis/kinesis-driver.ts';
import { eventBridgeDriver } from './eventbridge/eventbridge-driver.ts';
import { s3Driver } from './s3/s3-driver.ts';
import { apiGatewayDriver } from './apigateway/apigateway-driver.ts';

/**
 * Every event source sluice drives, by the `source` value a scenario names. The contract
 * test loops over this map, so a new source is tested the moment it is registered here.
 */
export const drivers = {
  sqs: sqsDriver,
  kinesis: kinesisDriver,
  eventbridge: eventBridgeDriver,
  s3: s3Driver,
  apigateway: apiGatewayDriver,
} as const satisfies Record<SourceName, Driver<never>>;

export function driverFor(source: SourceName): Driver<unknown> {
  return drivers[source] as unknown as Driver<unknown>;
}
