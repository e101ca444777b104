import { z } from 'zod';
import { durationMs } from '../../core/duration.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { apiUrlSchema } from './bring-your-own.ts';

/**
 * An `apigateway` pattern: an API (HTTP API or REST API) with one route whose Lambda proxy
 * integration invokes the function synchronously for each request. sluice serves the API
 * on 127.0.0.1 and drives it with the load generator's keep-alive HTTP client.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html
 */
export const apiGatewayPatternSchema = z
  .object({
    source: z.literal('apigateway'),
    name: z.string().min(1).max(64).optional(),
    /** `http` (HTTP API, payload format 2.0) or `rest` (REST API, payload format 1.0); priced differently. */
    type: z.enum(['http', 'rest']).default('http'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'a path starting with / (letters, digits, . _ ~ - /)')
      .default('/events'),
    /** The stage; REST APIs put it in the URL (`/prod/events`), HTTP APIs use `$default`. */
    stage: z
      .string()
      .regex(/^[A-Za-z0-9_$-]{1,128}$/)
      .optional(),
    /** The account-level throttle: steady requests per second (token refill rate). */
    throttleRatePerSecond: z.number().min(1).max(1_000_000).default(awsDefaults.apiGatewayAccountRatePerSecond.value),
    /** The account-level throttle: burst (token bucket size). */
    throttleBurst: z.number().int().min(1).max(1_000_000).default(awsDefaults.apiGatewayAccountBurst.value),
    /** How long the gateway waits for the function before answering 504. */
    integrationTimeout: durationMs({ minMs: 50, maxMs: 300_000 }).prefault(`${awsDefaults.apiGatewayIntegrationTimeoutMs.value}ms`),
    /** Connections the load generator keeps open to the API (a pool shared by all arrivals). */
    maxConnections: z.number().int().min(1).max(10_000).default(1024),
    /**
     * An existing API to send to, route included (`--target aws`): sluice creates none, and
     * cannot change its integration (drivers/bring-your-own.ts). `method` still applies.
     */
    apiUrl: apiUrlSchema.optional(),
    /** An existing function that consumes instead of sluice's synthetic consumer (`--target aws`). */
    functionName: functionNameSchema.optional(),
  })
  .strict();

export type ApiGatewayPattern = z.infer<typeof apiGatewayPatternSchema>;
