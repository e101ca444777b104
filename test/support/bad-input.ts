/**
 * One row of the bad-input table (test/fixtures/bad-inputs/*.ts, run by
 * test/integration/bad-inputs.test.ts): a command line that must be refused before anything
 * starts. `files` are written into a fresh temporary folder, the CLI's working folder; `{dir}`
 * in `args` and in `messageIncludes` is that folder.
 */
export interface BadInput {
  name: string;
  args: string[];
  files?: Record<string, string>;
  exitCode: number;
  messageIncludes: string[];
}
