import { stackOutputKeys } from '../../targets/aws/template-builder.ts';

/** An existing bucket the s3 driver writes objects to instead of creating one (a managed stack's). */
export interface S3Resources {
  readonly bucketName: string;
}

/** The bucket a managed stack's outputs (or the user's own resources, as outputs) name; undefined without one. */
export function s3ResourcesFrom(outputs: Readonly<Record<string, string>>): S3Resources | undefined {
  const bucketName = outputs[stackOutputKeys.bucketName];
  return bucketName ? { bucketName } : undefined;
}
