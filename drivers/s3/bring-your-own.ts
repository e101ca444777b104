import { checkedField, onlyOnAws } from '../bring-your-own.ts';

/**
 * An s3 pattern's `bucket`: an existing bucket to write the load to (drivers/bring-your-own.ts
 * has what bringing your own means). sluice cannot add its consumer to the bucket's own
 * notification configuration, so with it the stack creates nothing (targets/aws/template.ts).
 */

/**
 * Why `text` is not a general purpose bucket name, or undefined when it is one: 3–63
 * characters of lowercase letters, digits, dots and hyphens, starting and ending with a
 * letter or digit, no two adjacent dots, not an IP address, none of the reserved prefixes
 * and suffixes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(text: string): string | undefined {
  const problem = (why: string) => `"${text}" is not an S3 bucket name: ${why}`;
  if (text.length < 3 || text.length > 63) return problem('it must be 3–63 characters long');
  if (!/^[a-z0-9.-]+$/.test(text)) return problem('use lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(text) || !/[a-z0-9]$/.test(text)) return problem('it must start and end with a letter or digit');
  if (text.includes('..')) return problem('two dots may not be adjacent');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return problem('it may not look like an IP address');
  const reservedPrefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((prefix) => text.startsWith(prefix));
  if (reservedPrefix) return problem(`the prefix ${reservedPrefix} is reserved`);
  const reservedSuffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((suffix) => text.endsWith(suffix));
  if (reservedSuffix) return problem(`the suffix ${reservedSuffix} is reserved`);
  return undefined;
}

export const bucketSchema = checkedField(
  bucketNameProblem,
  `The name of an existing S3 bucket to write the load to; sluice creates no bucket and leaves the objects it wrote. ${onlyOnAws}`,
);
