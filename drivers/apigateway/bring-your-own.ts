import { checkedField, onlyOnAws } from '../bring-your-own.ts';

/**
 * An apigateway pattern's `apiUrl`: an existing API to send the load to, route included
 * (drivers/bring-your-own.ts has what bringing your own means). sluice cannot change the
 * API's integration, so with it the stack creates nothing (targets/aws/template.ts).
 */

/**
 * Why `text` is not an API URL the load generator can send to, or undefined when it is one:
 * an absolute http(s) URL without credentials or fragment. API Gateway's own endpoints
 * (`*.execute-api.<region>.amazonaws.com`) answer HTTPS only.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
 */
export function apiUrlProblem(text: string): string | undefined {
  const shape = 'the URL the load is sent to, such as https://abc123.execute-api.us-east-1.amazonaws.com/events (the route included)';
  const url = parseUrl(text);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) return `"${text}" is not ${shape}`;
  if (url.username || url.password) return `"${text}" carries credentials: sluice sends no authorization, so give a URL that needs none`;
  if (url.hash) return `"${text}" has a #fragment, which HTTP never sends: drop it`;
  if (url.protocol === 'http:' && /\.amazonaws\.com(\.cn)?$/.test(url.hostname)) return `"${text}": API Gateway serves HTTPS only — use https://`;
  return undefined;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

export const apiUrlSchema = checkedField(apiUrlProblem, `The URL of an existing API (route included) to send the load to; sluice creates no API. ${onlyOnAws}`);
