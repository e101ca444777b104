/**
 * An example consumer that does real work per event, for `sluice sweep` to tune: it parses
 * each order (an SQS message body or an API Gateway request body), validates it, hashes it
 * (SHA-256 over the order and its lines, repeated as a signature check would) and compresses
 * the canonical form (gzip), as a handler that stores or forwards orders does. Its CPU time is
 * what memory buys on Lambda; nothing in it waits on the network.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** @typedef {{ id: string, customer: string, lines: Array<{ sku: string, quantity: number, priceCents: number }> }} Order */

/** Rounds of hashing per order: enough CPU to show how memory size changes the duration. */
const hashRounds = 400;

/** @param {any} event @returns {string[]} */
function bodiesOf(event) {
  const records = event?.Records;
  if (Array.isArray(records)) return records.map((record) => record.body ?? '');
  const body = event?.body;
  if (typeof body === 'string') return [event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body];
  return [];
}

/** The order a body carries: sluice's payload (its `customer` key and `n` sequence) or any JSON with an id. */
/** @param {string} body @returns {Order} */
function orderOf(body) {
  const parsed = JSON.parse(body);
  const id = String(parsed.sluiceId ?? parsed.id ?? '');
  const customer = String(parsed.customer ?? parsed.key ?? 'unknown');
  if (id === '') throw new Error('order without an id');
  const count = 1 + (Number(parsed.n ?? 0) % 5);
  const lines = Array.from({ length: count }, (_, index) => ({ sku: `sku-${index}`, quantity: index + 1, priceCents: 100 * (index + 3) }));
  return { id, customer, lines };
}

/** @param {Order} order */
function validate(order) {
  if (order.lines.length === 0) throw new Error(`order ${order.id} has no lines`);
  for (const line of order.lines) {
    if (!Number.isInteger(line.quantity) || line.quantity <= 0) throw new Error(`order ${order.id}: bad quantity ${line.quantity}`);
  }
}

/** @param {Order} order */
function digest(order) {
  const canonical = JSON.stringify(order);
  let signature = canonical;
  for (let round = 0; round < hashRounds; round += 1) signature = createHash('sha256').update(signature).update(canonical).digest('hex');
  const compressedBytes = gzipSync(Buffer.from(canonical.repeat(20))).length;
  const totalCents = order.lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
  return { signature, compressedBytes, totalCents };
}

/** @param {any} event */
export async function handler(event) {
  const results = bodiesOf(event).map((body) => {
    const order = orderOf(body);
    validate(order);
    return { id: order.id, ...digest(order) };
  });
  // An API Gateway request gets an HTTP answer; a batch gets nothing back but success.
  if (event?.Records === undefined) return { statusCode: 200, body: JSON.stringify(results[0] ?? {}) };
  return { processed: results.length };
}
