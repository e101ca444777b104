import { createAwsClients } from '../targets/aws/clients.ts';
import { describeAccount } from '../targets/aws/credentials.ts';
import { cleanupLeftoverStacks, findLeftoverStacks } from '../targets/aws/stack.ts';
import type { Io } from './run-command.ts';
import { exitCodes } from './exit-codes.ts';

/**
 * `sluice cleanup`: lists the stacks crashed runs left behind (tagged `sluice:run-id`, or
 * named `sluice-…`); with --yes deletes them. Exit 0 when nothing is left, 3 when a
 * deletion failed.
 */
export async function cleanupCommand(flags: { region: string; runId?: string; yes?: boolean }, io: Io): Promise<number> {
  const account = await describeAccount(flags.region);
  io.print(`AWS account ${account.accountId}, region ${flags.region}`);
  const clients = createAwsClients({ region: flags.region });
  try {
    const leftovers = await findLeftoverStacks(clients.cloudFormation, { runId: flags.runId });
    if (leftovers.length === 0) {
      io.print('no sluice stacks found');
      return exitCodes.ok;
    }
    for (const stack of leftovers) io.print(`  ${stack.stackName}  ${stack.status}  run ${stack.runId ?? '?'}  (${stack.matchedBy === 'tag' ? 'tagged' : 'by name'})`);
    if (!flags.yes) {
      io.print(`${leftovers.length} stack(s) found; run again with --yes to delete them`);
      return exitCodes.ok;
    }
    const outcomes = await cleanupLeftoverStacks(clients.cloudFormation, { runId: flags.runId, s3Client: clients.s3 });
    for (const outcome of outcomes) io.print(`  ${outcome.deleted ? 'deleted' : 'FAILED '} ${outcome.stackName}${outcome.error ? `: ${outcome.error.message}` : ''}`);
    return outcomes.every((outcome) => outcome.deleted) ? exitCodes.ok : exitCodes.runFailed;
  } finally {
    clients.destroy();
  }
}
