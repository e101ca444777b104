import type { Target } from '../target.ts';

/**
 * `--target aws`: the real account the SDK's default credential chain resolves to. Nothing
 * is started; the run creates one CloudFormation stack per pattern and deletes it.
 */
export async function startAwsTarget(region: string): Promise<Target> {
  const { describeAccount } = await import('./credentials.ts');
  await describeAccount(region);
  return {
    info: { kind: 'aws', region, consumer: 'aws' },
    clientSettings: { region, useLocalCredentials: false },
    died: new Promise<never>(() => undefined),
    async stop() {},
  };
}
