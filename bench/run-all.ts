import { benchSqsSend } from './sqs-send.bench.ts';
import { benchKinesisSend } from './kinesis-send.bench.ts';

/**
 * `npm run bench`: each benchmark measures its baseline in the same run and prints its
 * figures as ratios against it, because these machines are shared and noisy.
 */
const benchmarks = [benchSqsSend, benchKinesisSend];
const only = process.argv.slice(3);
for (const bench of benchmarks) {
  if (only.length > 0 && !only.some((name) => bench.name.toLowerCase().includes(name.toLowerCase()))) continue;
  const result = await bench();
  console.log(`\n## ${result.name}`);
  for (const line of result.lines) console.log(line);
}
process.exit(0);
