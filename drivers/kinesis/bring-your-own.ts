import { z } from 'zod';
import { onlyOnAws } from '../bring-your-own.ts';

/**
 * A kinesis pattern's `streamName`: an existing stream to write the load to
 * (drivers/bring-your-own.ts has what bringing your own means).
 */

/**
 * Kinesis stream names: 1–128 letters, digits, underscores, hyphens and periods.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html (StreamName)
 */
const streamNamePattern = /^[A-Za-z0-9_.-]{1,128}$/;

export const streamNameSchema = z
  .string()
  .regex(streamNamePattern, 'a Kinesis stream name: 1–128 letters, digits, _ . and -')
  .meta({ description: `The name of an existing Kinesis data stream to write the load to; sluice creates no stream. ${onlyOnAws}` });
