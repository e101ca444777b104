import { PassThrough } from 'node:stream';
import { main } from '../../cli/main.ts';

/** Runs the CLI in-process (its `main`, as bin/sluice.js calls it) and captures what it prints and its exit code. */
export async function runCliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk) => (stdout += chunk));
  err.on('data', (chunk) => (stderr += chunk));
  const code = await main(args, { out: out as unknown as NodeJS.WriteStream, err: err as unknown as NodeJS.WriteStream });
  return { code, stdout, stderr };
}
