import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scenarioSchema } from '../../scenario/schema.ts';
import { describeAccount, type AwsAccount } from '../../targets/aws/credentials.ts';
import { artilleryCommand, CloudLoad } from '../../run/cloud-load.ts';
import { runScenario } from '../../run/run-scenario.ts';

/**
 * `--load-from lambda` on a real account: the smallest SQS stack, two Artillery Lambda
 * workers, every event accounted for. Runs only with SLUICE_AWS_IT=1, working credentials and
 * an Artillery CLI (ARTILLERY_BIN, the pinned tools/artillery-cli, or PATH); otherwise skipped with the reason printed, and
 * nothing here reaches the network.
 */
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
const artillery = artilleryCommand();
let account: AwsAccount | undefined;
let skipReason: string | undefined;
if (process.env.SLUICE_AWS_IT !== '1') {
  skipReason = 'set SLUICE_AWS_IT=1 with AWS credentials and the Artillery CLI to run cloud load workers (a few cents, a few minutes)';
} else if (spawnSync(artillery.bin, ['--version'], { encoding: 'utf8', env: { ...process.env, ...artillery.env, ARTILLERY_DISABLE_TELEMETRY: 'true' } }).status !== 0) {
  skipReason = `SLUICE_AWS_IT=1 but the Artillery CLI (${artillery.bin}) does not run: npm ci --prefix tools/artillery-cli --ignore-scripts, npm install -g artillery, or set ARTILLERY_BIN`;
} else {
  try {
    account = await describeAccount(region);
  } catch (error) {
    const named = error as Error & { hint?: string };
    skipReason = `SLUICE_AWS_IT=1 but no usable credentials: ${named.message}${named.hint ? ` — ${named.hint}` : ''}`;
  }
}
if (skipReason) console.warn(`[aws-cloud-load-live] skipped: ${skipReason}`);

describe('real AWS: load from Artillery’s Lambda workers', () => {
  it.skipIf(!account)(
    'deploys the sqs stack, runs two Lambda workers against it, and accounts for every event they sent',
    async () => {
      const scenario = scenarioSchema.parse({
        name: 'aws-cloud-load',
        region,
        workload: { phases: [{ duration: 5, arrivalRate: 4 }] },
        function: { memoryMb: 128, architecture: 'arm64', timeout: 10, initDuration: 0, handler: { duration: '10ms' } },
        patterns: [{ source: 'sqs', batchSize: 10, visibilityTimeout: 30 }],
      });
      const result = await runScenario({
        scenario,
        scenarioFile: 'aws-cloud-load.yaml',
        target: 'aws',
        signal: new AbortController().signal,
        cloudLoad: () => new CloudLoad({ runner: 'lambda', count: 2, region, artilleryArgs: [] }, {}),
      });
      const [pattern] = result.patterns;
      expect(result.status).toBe('completed');
      expect(pattern!.load.workers).toHaveLength(2);
      expect(pattern!.accounting).toMatchObject({ sent: 20, completed: 20, lost: 0 });
    },
    20 * 60_000,
  );
});
