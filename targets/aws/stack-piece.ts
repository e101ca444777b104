import type { TagStyle, TemplateBuilder } from './template-builder.ts';

/**
 * What every pattern a stack is built from has, whatever its source: what the generic part
 * of the template (targets/aws/template.ts) reads. A parsed pattern of any source is one.
 */
export interface StackPattern {
  readonly source: string;
  /** Pattern name; the source when the pattern has none. */
  readonly name?: string;
  /** An existing function to drive instead of sluice's synthetic consumer ("bring your own"). */
  readonly functionName?: string;
}

/**
 * Where the synthetic consumer's reader for a source's events lives, for bundling
 * (targets/aws/synthetic-consumer/bundle.ts): a TypeScript module and the names it exports.
 *
 * @example
 * { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readSqsEvent' }
 */
export interface ConsumerReaderModule {
  /** Absolute path of the module. */
  readonly entryFile: string;
  /** Its `ConsumerReader` (targets/aws/synthetic-consumer/envelope.ts): the event in, one identity per event it carries out. */
  readonly readerExport: string;
  /**
   * Its `ConsumerResponder`, for a source that invokes synchronously and needs an answer of
   * a given shape (API Gateway's proxy integration); without it the handler returns nothing.
   */
  readonly responderExport?: string;
}

/**
 * One event source's part of a managed stack: its resources, their wiring to the consumer,
 * its outputs, and the synthetic consumer's reader for its events. Each source holds one in
 * `drivers/<source>/aws-stack.ts`; {@link buildStackTemplate} (targets/aws/template.ts) adds
 * everything a source does not decide (the consumer function, its role and log group, the
 * sink queue, tags, metadata) and is handed the piece, so targets/ never imports drivers/.
 *
 * @example
 * buildStackTemplate(scenario, pattern, sqsAwsStack, runId)
 */
export interface AwsStackPiece<Pattern extends StackPattern> {
  /** The `source` value of the patterns this piece builds. */
  readonly source: Pattern['source'];
  /** What the source's resource is called in notes: 'queue', 'stream', 'bus', 'bucket', 'API'. */
  readonly resourceNoun: string;
  /** The field naming the user's existing resource (queueUrl, streamName, busName, bucket, apiUrl). */
  readonly bringYourOwnField: string & keyof Pattern;
  /**
   * True when Lambda polls the source through an event source mapping (the function's own
   * role must read it), false when the source invokes the function (a permission allows it).
   */
  readonly pollsForConsumer: boolean;
  /**
   * The pattern's own resources as the stack output keys that name them (`QueueUrl`,
   * `QueueName`, …, and `FunctionName`, the bare name CloudWatch measures), in plain values:
   * what the drivers send to and CloudWatch is asked about, whether a stack is deployed or
   * not. Empty when the pattern names none.
   */
  bringYourOwnOutputs(pattern: Pattern): Record<string, string>;
  /** False when the wiring is a property of the user's own resource (an s3 bucket's notification, an API's integration). */
  consumerCanBeWired(pattern: Pattern): boolean;
  /** Adds the source's resources, its wiring to `builder.consumer` and its outputs; throws AwsTemplateError for settings AWS would refuse. */
  addSource(builder: TemplateBuilder, pattern: Pattern): void;
  /** Environment variables the source's reader needs besides the generic ones (SLUICE_S3_SUFFIX). */
  consumerEnvironment?(pattern: Pattern): Record<string, string>;
  /** The synthetic consumer's reader for this source's event shape. */
  readonly consumerReader: ConsumerReaderModule;
  /** Resource types this piece creates → how they take tags; merged into the generic table. */
  readonly tagStyles: Readonly<Record<string, TagStyle>>;
}
