/** sluice's exit codes; documented in the README. */
export const exitCodes = {
  ok: 0,
  thresholdsFailed: 1,
  badInput: 2,
  runFailed: 3,
  interrupted: 130,
} as const;
