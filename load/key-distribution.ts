import type { RandomSource } from '../runtime/random.ts';
import type { Workload } from '../scenario/parts.ts';

/**
 * Picks each event's partition key (Kinesis shard, FIFO message group) from the workload's
 * key distribution, so hot keys and hot shards can be shown on purpose.
 */
export function keyPicker(keys: Workload['keys'], random: RandomSource): () => string {
  const keyOf = keyNames(keys.count);
  if (keys.distribution === 'hot-key') {
    return () => (random.next() < keys.hotKeyShare ? keyOf(0) : keyOf(1 + Math.floor(random.next() * Math.max(1, keys.count - 1))));
  }
  if (keys.distribution === 'zipf') {
    // Cumulative weights 1/k^s, searched by bisection: O(log n) a pick after O(n) set-up.
    const cumulative = new Float64Array(keys.count);
    let sum = 0;
    for (let k = 0; k < keys.count; k += 1) {
      sum += 1 / Math.pow(k + 1, keys.zipfExponent);
      cumulative[k] = sum;
    }
    return () => {
      const target = random.next() * sum;
      let low = 0;
      let high = keys.count - 1;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (cumulative[mid] < target) low = mid + 1;
        else high = mid;
      }
      return keyOf(low);
    };
  }
  return () => keyOf(Math.floor(random.next() * keys.count));
}

/** Key names built once for up to this many keys; past it, each pick builds its name. */
const keyNamesBuiltMax = 100_000;

/**
 * `key-<n>` by index. The same string each time where keys are few enough to build once: a
 * key's hash is then computed once, not at every lookup of the shard, lane or message group
 * it maps to (a large part of an event's cost on simulated time).
 */
function keyNames(count: number): (index: number) => string {
  if (count > keyNamesBuiltMax) return (index) => `key-${index}`;
  const names = Array.from({ length: Math.max(1, count) }, (_, index) => `key-${index}`);
  return (index) => names[index] ?? `key-${index}`;
}
