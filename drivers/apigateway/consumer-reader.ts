import { identifyEnvelope, objectOf, parseJsonObject, type EventIdentity } from '../../targets/aws/synthetic-consumer/envelope.ts';

/**
 * The synthetic consumer's reader for API Gateway proxy events (HTTP API payload 2.0 and
 * REST API 1.0): one identity from the request body the load generator sent (base64 when
 * the gateway says so), else the request id and the request's epoch ms (`timeEpoch` in
 * 2.0, `requestTimeEpoch` in 1.0).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 *
 * @example
 * readApiGatewayEvent({ body: '{"sluiceId":7,"sentAtMs":1767225600000}', isBase64Encoded: false, requestContext: { requestId: 'r-1', timeEpoch: 1767225600001 } })
 * // [{ eventId: 7, sentAtMs: 1767225600000 }]
 */
export function readApiGatewayEvent(event: unknown): EventIdentity[] {
  const request = objectOf(event);
  const context = objectOf(request.requestContext);
  const rawBody = typeof request.body === 'string' ? request.body : '';
  const body = request.isBase64Encoded === true ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  const receivedAtMs = Number(context.timeEpoch) || Number(context.requestTimeEpoch) || null;
  return [identifyEnvelope(parseJsonObject(body), context.requestId, receivedAtMs)];
}

/**
 * The proxy integration's answer: a Lambda proxy integration must return a status code and
 * body, or the gateway answers 502.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
 */
export function apiGatewayResponse(completed: number): { statusCode: number; headers: Record<string, string>; body: string } {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ completed }) };
}
