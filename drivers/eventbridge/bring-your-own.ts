import { z } from 'zod';
import { onlyOnAws } from '../bring-your-own.ts';

/**
 * An eventbridge pattern's `busName`: an existing event bus to put the load on
 * (drivers/bring-your-own.ts has what bringing your own means).
 */

/**
 * EventBridge event bus names: 1–256 letters, digits and `/ . - _` (partner buses have a
 * `/`); `default` is the account's default bus.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html (Name)
 */
const busNamePattern = /^[/.\-_A-Za-z0-9]{1,256}$/;

export const busNameSchema = z
  .string()
  .regex(busNamePattern, 'an EventBridge event bus name: 1–256 letters, digits, / . - and _ (default for the account’s default bus)')
  .meta({ description: `The name of an existing EventBridge event bus to put the load on; sluice creates no bus. ${onlyOnAws}` });
