import { z } from 'zod';

/** The most settings one sweep runs: each is a whole run of every pattern. */
export const sweepSettingsMax = 64;

/**
 * A key a sweep varies, by path: a field of the function (`function.memoryMb`,
 * `function.handler.cpuShare`), of the account (`account.concurrencyLimit`) or of a pattern
 * (`patterns.<name>.batchSize`, or `patterns.*.batchSize` for every pattern that has it).
 */
export const sweepKeyPattern = /^(?:function(?:\.handler)?|account|patterns\.(?:\*|[a-z0-9][a-z0-9-]*))\.[A-Za-z][A-Za-z0-9]*$/;

const sweepValueSchema = z.union([z.number(), z.string().min(1), z.boolean()]);

/**
 * What a sweep varies and how it picks a setting, as aws-lambda-power-tuning does: `cost`
 * (cheapest per million events), `speed` (lowest p99 end-to-end) or `balanced` (the lowest
 * weighted sum of both, each relative to the sweep's highest; `balancedWeight` 0 is speed,
 * 1 is cost). Every combination of the keys' values is one setting.
 *
 * @example
 * sweep:
 *   vary:
 *     - { key: function.memoryMb, values: [128, 512, 1024, 1769] }
 *     - { key: function.architecture, values: [arm64, x86_64] }
 *   strategy: balanced
 *   balancedWeight: 0.5
 */
export const sweepSchema = z
  .object({
    vary: z
      .array(
        z
          .object({
            key: z.string().regex(sweepKeyPattern, 'name a key by its path: function.memoryMb, function.handler.cpuShare, account.concurrencyLimit, patterns.<name>.batchSize or patterns.*.batchSize'),
            values: z.array(sweepValueSchema).min(1).max(sweepSettingsMax),
          })
          .strict(),
      )
      .min(1)
      .max(6),
    strategy: z.enum(['cost', 'speed', 'balanced']).default('balanced'),
    /** For `balanced`: 0 weighs only speed, 1 only cost. */
    balancedWeight: z.number().min(0).max(1).default(0.5),
  })
  .strict()
  .superRefine((sweep, ctx) => {
    const settings = sweep.vary.reduce((product, entry) => product * entry.values.length, 1);
    if (settings > sweepSettingsMax) {
      ctx.addIssue({ code: 'custom', path: ['vary'], message: `${settings} settings (every combination of the values) is more than the ${sweepSettingsMax} one sweep runs; vary fewer keys or give fewer values` });
    }
    const seen = new Set<string>();
    sweep.vary.forEach((entry, index) => {
      if (seen.has(entry.key)) ctx.addIssue({ code: 'custom', path: ['vary', index, 'key'], message: `${entry.key} is already varied above; give all its values in one entry` });
      seen.add(entry.key);
    });
  });

export type SweepSpec = z.infer<typeof sweepSchema>;
export type SweepStrategy = SweepSpec['strategy'];
