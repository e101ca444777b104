import { z } from 'zod';

/**
 * "Bring your own": the optional pattern fields that name resources which already exist —
 * the source (`queueUrl`, `streamName`, `busName`, `bucket`, `apiUrl`, each checked in its
 * source's folder, drivers/<source>/bring-your-own.ts) and the consumer (`functionName`,
 * here). With them, on `--target aws` (or `--target localstack --consumer localstack`),
 * sluice creates nothing for what they name: it sends load to the source and reads
 * CloudWatch's metrics of the resources; see targets/aws/template.ts for what a stack still
 * creates in each combination.
 *
 * This module imports nothing but zod, so a source's schema can take its fields from here
 * and validating a scenario file still loads no SDK and no template code.
 *
 * On the embedded target, and on `--target localstack` with sluice's own consumer, these
 * fields are refused at run start ({@link bringYourOwnTargetProblems}): there sluice's
 * runtime consumes the resources it creates itself, and the drivers would otherwise ignore
 * the names silently — a run that looks fine but never touched the queue the file names.
 * They are not refused at validation because a scenario file is the same for every target
 * (README, "Targets"): only the command line picks the target, after the file is valid.
 */

/**
 * A Lambda function name, optionally with `:alias` or `:version`, or a function ARN. Names
 * are 1–64 letters, digits, hyphens and underscores; qualifiers are `$LATEST`, a version
 * number or an alias name (1–128 of the same characters, not only digits).
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName) and
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html (Name)
 */
const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
const functionQualifierPattern = /^(\$LATEST|\d+|[A-Za-z0-9_-]{1,128})$/;
const functionArnPattern = /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:function:([A-Za-z0-9_-]{1,64})(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** Why `text` is not a function name or ARN Lambda accepts, or undefined when it is one. */
export function functionNameProblem(text: string): string | undefined {
  if (text.startsWith('arn:')) {
    return functionArnPattern.test(text) ? undefined : `"${text}" is not a Lambda function ARN (arn:aws:lambda:<region>:<account-id>:function:<name>[:<alias or version>])`;
  }
  const [name, qualifier, ...rest] = text.split(':');
  if (rest.length > 0 || !name || !functionNamePattern.test(name)) {
    return `"${text}" is not a Lambda function name: 1–64 letters, digits, - and _, optionally :alias or :version, or the function's ARN`;
  }
  if (qualifier !== undefined && !functionQualifierPattern.test(qualifier)) {
    return `"${qualifier}" is not a Lambda alias or version (letters, digits, - and _, a version number, or $LATEST)`;
  }
  return undefined;
}

/**
 * The function's bare name, as CloudWatch's `FunctionName` dimension and the console name it:
 * `orders`, `orders:live` and `arn:aws:lambda:…:function:orders:live` all give `orders`.
 *
 * @example lambdaFunctionNameOf('arn:aws:lambda:eu-west-1:123456789012:function:orders:live') // 'orders'
 */
export function lambdaFunctionNameOf(functionName: string): string {
  const arn = functionArnPattern.exec(functionName);
  if (arn) return arn[2]!;
  return functionName.split(':')[0]!;
}

/**
 * The `FunctionName` stack output of a pattern's own function (its bare name), or nothing:
 * the part of every piece's `bringYourOwnOutputs` (targets/aws/stack-piece.ts) that is the
 * same for every source.
 *
 * @example functionNameOutput({ functionName: 'orders:live' }) // { FunctionName: 'orders' }
 */
export function functionNameOutput(pattern: { readonly functionName?: string }): { FunctionName?: string } {
  return pattern.functionName ? { FunctionName: lambdaFunctionNameOf(pattern.functionName) } : {};
}

/**
 * A string field checked by a `…Problem` function (`queueUrlProblem`, …): the problem it
 * returns is the field's validation message.
 */
export function checkedField(check: (text: string) => string | undefined, description: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const problem = check(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description });
}

/** The end of every bring-your-own field's description: where it means something. */
export const onlyOnAws = 'Only --target aws (or --target localstack --consumer localstack) uses it; other targets refuse it at run start.';

/** Your consumer function: sluice deploys no synthetic consumer; completions are then not observable. */
export const functionNameSchema = checkedField(
  functionNameProblem,
  `An existing Lambda function (name, name:alias or ARN) that consumes this pattern instead of sluice's synthetic consumer. ${onlyOnAws}`,
);

/** One bring-your-own field set where the target cannot use it. */
export interface BringYourOwnProblem {
  /** `patterns[0].queueUrl`, as the scenario's other problems name keys. */
  keyPath: string;
  message: string;
  hint: string;
}

/**
 * The bring-your-own fields a run cannot honour on its target, one problem per field, so a
 * user sees every one at once. Empty on `--target aws` and with `--consumer localstack`
 * (both deploy managed stacks, which take existing resources). Elsewhere sluice's runtime
 * consumes resources it creates itself, so a named resource would be ignored: refuse it
 * before anything starts, and say what to do.
 *
 * The fields a pattern may name come from its source module (`functionName` and its stack
 * piece's `bringYourOwnField`, see `bringYourOwnFieldsOf` in drivers/registry.ts), so no
 * list of sources is kept here.
 *
 * @example
 * bringYourOwnTargetProblems(scenario.patterns, { target: 'embedded', fieldsOf: bringYourOwnFieldsOf })
 * // [{ keyPath: 'patterns[0].queueUrl', message: 'names an existing queue, which only …', hint: 'Run with --target aws, or …' }]
 */
export function bringYourOwnTargetProblems(
  patterns: ReadonlyArray<{ readonly source: string; readonly [field: string]: unknown }>,
  run: { target: 'embedded' | 'localstack' | 'aws'; consumer?: 'sluice' | 'localstack'; fieldsOf: (source: string) => readonly string[] },
): BringYourOwnProblem[] {
  if (run.target === 'aws' || run.consumer === 'localstack') return [];
  const where = run.target === 'embedded' ? 'the embedded target' : '--target localstack with sluice’s own consumer';
  return patterns.flatMap((pattern, index) =>
    run
      .fieldsOf(pattern.source)
      .filter((field) => pattern[field] !== undefined)
      .map((field) => ({
        keyPath: `patterns[${index}].${field}`,
        message: `names an existing ${field === 'functionName' ? 'function' : 'resource'} (${String(pattern[field])}), which only --target aws (or --target localstack --consumer localstack) uses; on ${where} sluice creates and consumes its own resources and would ignore it`,
        hint: `Run with --target aws to load your own resources, or remove ${field} to run this pattern on sluice's own resources here.`,
      })),
  );
}
