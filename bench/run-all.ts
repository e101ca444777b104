import { benchSqsSend } from './sqs-send.bench.ts';
import { benchKinesisSend } from './kinesis-send.bench.ts';
import { benchSqsConsume } from './sqs-consume.bench.ts';
import { benchKinesisConsume } from './kinesis-consume.bench.ts';
import { benchEventBridgeInvoke } from './eventbridge-invoke.bench.ts';
import { benchS3Notify } from './s3-notify.bench.ts';
import { benchApiGatewayInvoke } from './apigateway-invoke.bench.ts';
import { benchPredict } from './predict.bench.ts';
import { benchLoadWorkers } from './load-workers.bench.ts';
import { ceilingsTable, type SourceCeilingRow } from './source-ceiling.ts';

/**
 * `npm run bench`: each benchmark measures its baseline in the same run and prints its
 * figures as ratios against it, because these machines are shared and noisy.
 */
const benchmarks: Array<() => Promise<{ name: string; lines: string[]; row?: SourceCeilingRow }>> = [benchSqsSend, benchSqsConsume, benchKinesisSend, benchKinesisConsume, benchEventBridgeInvoke, benchS3Notify, benchApiGatewayInvoke, benchPredict, benchLoadWorkers];
const rows: SourceCeilingRow[] = [];
const only = process.argv.slice(3);
for (const bench of benchmarks) {
  if (only.length > 0 && !only.some((name) => bench.name.toLowerCase().includes(name.toLowerCase()))) continue;
  const result = await bench();
  console.log(`\n## ${result.name}`);
  for (const line of result.lines) console.log(line);
  if (result.row) rows.push(result.row);
}
if (rows.length > 0) console.log(`\n## Measured ceilings (npm run bench)\n${ceilingsTable(rows).join('\n')}`);
process.exit(0);
