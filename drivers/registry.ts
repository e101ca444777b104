import type { Driver } from './driver.ts';
import type { SourceName } from './schemas.ts';
import { sqsDriver } from './sqs/sqs-driver.ts';

/**
 * Every event source sluice drives, by the `source` value a scenario names. The contract
 * test loops over this map, so a new source is tested the moment it is registered here.
 */
export const drivers = {
  sqs: sqsDriver,
} as const satisfies Record<SourceName, Driver<never>>;

export function driverFor(source: SourceName): Driver<unknown> {
  return drivers[source] as unknown as Driver<unknown>;
}
