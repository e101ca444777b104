import { randomUUID } from 'node:crypto';

/**
 * SQS's query protocol (form-encoded `Action=…&Version=2012-11-05`, XML answers), which AWS
 * still serves beside the JSON protocol and which older SDKs and the AWS CLI before 2.13
 * speak. sluice's SQS store speaks JSON only, so each query call is translated to the JSON
 * call of the same name and its answer back to the XML AWS answers.
 *
 * Element names are the 2012-11-05 API's: the query parameters
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html),
 * the responses and errors
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-responses.html),
 * and each action's page in the API reference for its members.
 */

/** The XML namespace of every SQS query answer. */
export const sqsQueryNamespace = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** A query call read into the JSON call that serves it. */
export interface SqsQueryCall {
  readonly action: string;
  /** The JSON protocol's request body for the same action. */
  readonly input: Record<string, unknown>;
}

/**
 * The query protocol's codes where they differ from the JSON protocol's: SQS-specific errors
 * carry an `AWS.SimpleQueueService.` prefix, and two have other names. The common errors
 * (`InvalidParameterValue`, `MissingParameter`, `ReceiptHandleIsInvalid`, …) are the same in both.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
const queryCodesByJsonCode: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  QueueDeletedRecently: 'AWS.SimpleQueueService.QueueDeletedRecently',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};

/** The query protocol's code of a JSON protocol error code. */
export function sqsQueryCodeOf(jsonCode: string): string {
  return Object.hasOwn(queryCodesByJsonCode, jsonCode) ? queryCodesByJsonCode[jsonCode]! : jsonCode;
}

/** An SQS error, answered in the protocol the client spoke. */
export class SqsProtocolError extends Error {
  /** The query protocol's code (`AWS.SimpleQueueService.NonExistentQueue`). */
  readonly queryCode: string;
  constructor(
    /** The JSON protocol's code (`QueueDoesNotExist`). */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    readonly senderFault = statusCode < 500,
  ) {
    super(message);
    this.queryCode = sqsQueryCodeOf(code);
  }
}

/**
 * Form parameters as a tree: `Attribute.1.Name=x` becomes `{ Attribute: { '1': { Name: 'x' } } }`.
 * Query lists and maps are numbered from 1 (`Attribute.1`, `Attribute.2`, …).
 */
type ParameterTree = { [name: string]: ParameterTree | string };

function parameterTree(parameters: URLSearchParams): ParameterTree {
  const root: ParameterTree = {};
  for (const [key, value] of parameters) {
    const parts = key.split('.');
    let node = root;
    for (let index = 0; index < parts.length - 1; index++) {
      const part = parts[index]!;
      const next = node[part];
      if (typeof next === 'object') node = next;
      else node = node[part] = {};
    }
    const last = parts[parts.length - 1]!;
    if (typeof node[last] !== 'object') node[last] = value;
  }
  return root;
}

function text(tree: ParameterTree | string | undefined): string | undefined {
  return typeof tree === 'string' ? tree : undefined;
}

/** The numbered members of a flattened list (`Name.1`, `Name.2`, …), in their number's order. */
function members(tree: ParameterTree | string | undefined): Array<ParameterTree | string> {
  if (typeof tree !== 'object') return [];
  return Object.keys(tree)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key]!);
}

function stringList(tree: ParameterTree | string | undefined): string[] {
  return members(tree).filter((member): member is string => typeof member === 'string');
}

/** A flattened map: `Attribute.N.Name` / `Attribute.N.Value` (or `Tag.N.Key` / `Tag.N.Value`). */
function stringMap(tree: ParameterTree | string | undefined, keyName: string, valueName: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const member of members(tree)) {
    if (typeof member !== 'object') continue;
    const key = text(member[keyName]);
    if (key !== undefined) map[key] = text(member[valueName]) ?? '';
  }
  return map;
}

function integer(tree: ParameterTree, name: string): number | undefined {
  const value = text(tree[name]);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) {
    throw new SqsProtocolError('InvalidParameterValue', `Value ${value} for parameter ${name} is invalid. Reason: must be an integer.`);
  }
  return Number(value);
}

/** `MessageAttribute.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue` / `.Value.StringListValue.M`. */
function messageAttributes(tree: ParameterTree | string | undefined): Record<string, unknown> | undefined {
  const attributes: Record<string, unknown> = {};
  for (const member of members(tree)) {
    if (typeof member !== 'object') continue;
    const name = text(member['Name']);
    const value = member['Value'];
    if (name === undefined || typeof value !== 'object') continue;
    attributes[name] = withoutUndefined({
      DataType: text(value['DataType']),
      StringValue: text(value['StringValue']),
      BinaryValue: text(value['BinaryValue']),
      StringListValues: value['StringListValue'] ? stringList(value['StringListValue']) : undefined,
      BinaryListValues: value['BinaryListValue'] ? stringList(value['BinaryListValue']) : undefined,
    });
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

function entryList(tree: ParameterTree, name: string, read: (entry: ParameterTree) => Record<string, unknown>): Array<Record<string, unknown>> {
  return members(tree[name]).map((entry) => (typeof entry === 'object' ? withoutUndefined(read(entry)) : {}));
}

function sendEntry(entry: ParameterTree): Record<string, unknown> {
  return {
    Id: text(entry['Id']),
    MessageBody: text(entry['MessageBody']),
    DelaySeconds: integer(entry, 'DelaySeconds'),
    MessageAttributes: messageAttributes(entry['MessageAttribute']),
    MessageSystemAttributes: messageAttributes(entry['MessageSystemAttribute']),
    MessageDeduplicationId: text(entry['MessageDeduplicationId']),
    MessageGroupId: text(entry['MessageGroupId']),
  };
}

/** How each supported action's parameters become its JSON input. */
const queryReaders: Record<string, (tree: ParameterTree) => Record<string, unknown>> = {
  CreateQueue: (tree) => {
    const attributes = stringMap(tree['Attribute'], 'Name', 'Value');
    const tags = stringMap(tree['Tag'], 'Key', 'Value');
    return {
      QueueName: text(tree['QueueName']),
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
    };
  },
  GetQueueUrl: (tree) => ({ QueueName: text(tree['QueueName']), QueueOwnerAWSAccountId: text(tree['QueueOwnerAWSAccountId']) }),
  ListQueues: (tree) => ({ QueueNamePrefix: text(tree['QueueNamePrefix']), NextToken: text(tree['NextToken']), MaxResults: integer(tree, 'MaxResults') }),
  DeleteQueue: (tree) => ({ QueueUrl: text(tree['QueueUrl']) }),
  PurgeQueue: (tree) => ({ QueueUrl: text(tree['QueueUrl']) }),
  SendMessage: (tree) => ({ QueueUrl: text(tree['QueueUrl']), ...sendEntry(tree) }),
  SendMessageBatch: (tree) => ({ QueueUrl: text(tree['QueueUrl']), Entries: entryList(tree, 'SendMessageBatchRequestEntry', sendEntry) }),
  ReceiveMessage: (tree) => ({
    QueueUrl: text(tree['QueueUrl']),
    AttributeNames: tree['AttributeName'] ? stringList(tree['AttributeName']) : undefined,
    MessageSystemAttributeNames: tree['MessageSystemAttributeName'] ? stringList(tree['MessageSystemAttributeName']) : undefined,
    MessageAttributeNames: tree['MessageAttributeName'] ? stringList(tree['MessageAttributeName']) : undefined,
    MaxNumberOfMessages: integer(tree, 'MaxNumberOfMessages'),
    VisibilityTimeout: integer(tree, 'VisibilityTimeout'),
    WaitTimeSeconds: integer(tree, 'WaitTimeSeconds'),
    ReceiveRequestAttemptId: text(tree['ReceiveRequestAttemptId']),
  }),
  DeleteMessage: (tree) => ({ QueueUrl: text(tree['QueueUrl']), ReceiptHandle: text(tree['ReceiptHandle']) }),
  DeleteMessageBatch: (tree) => ({
    QueueUrl: text(tree['QueueUrl']),
    Entries: entryList(tree, 'DeleteMessageBatchRequestEntry', (entry) => ({ Id: text(entry['Id']), ReceiptHandle: text(entry['ReceiptHandle']) })),
  }),
  ChangeMessageVisibility: (tree) => ({ QueueUrl: text(tree['QueueUrl']), ReceiptHandle: text(tree['ReceiptHandle']), VisibilityTimeout: integer(tree, 'VisibilityTimeout') }),
  ChangeMessageVisibilityBatch: (tree) => ({
    QueueUrl: text(tree['QueueUrl']),
    Entries: entryList(tree, 'ChangeMessageVisibilityBatchRequestEntry', (entry) => ({
      Id: text(entry['Id']),
      ReceiptHandle: text(entry['ReceiptHandle']),
      VisibilityTimeout: integer(entry, 'VisibilityTimeout'),
    })),
  }),
  GetQueueAttributes: (tree) => ({ QueueUrl: text(tree['QueueUrl']), AttributeNames: stringList(tree['AttributeName']) }),
  SetQueueAttributes: (tree) => ({ QueueUrl: text(tree['QueueUrl']), Attributes: stringMap(tree['Attribute'], 'Name', 'Value') }),
  TagQueue: (tree) => ({ QueueUrl: text(tree['QueueUrl']), Tags: stringMap(tree['Tag'], 'Key', 'Value') }),
  UntagQueue: (tree) => ({ QueueUrl: text(tree['QueueUrl']), TagKeys: stringList(tree['TagKey']) }),
  ListQueueTags: (tree) => ({ QueueUrl: text(tree['QueueUrl']) }),
  ListDeadLetterSourceQueues: (tree) => ({ QueueUrl: text(tree['QueueUrl']), NextToken: text(tree['NextToken']), MaxResults: integer(tree, 'MaxResults') }),
};

/** The query actions sluice translates. */
export const sqsQueryActions: readonly string[] = Object.keys(queryReaders);

/**
 * Reads a query call. `pathQueueUrl` is the queue URL the request was posted to, which
 * older SDKs use instead of a `QueueUrl` parameter.
 *
 * @throws SqsProtocolError `MissingAction` or `InvalidAction`, as SQS answers them.
 * @example
 * readSqsQueryCall(new URLSearchParams('Action=SendMessage&QueueUrl=http://127.0.0.1:4566/000000000000/q&MessageBody=hi'));
 * // { action: 'SendMessage', input: { QueueUrl: 'http://127.0.0.1:4566/000000000000/q', MessageBody: 'hi' } }
 */
export function readSqsQueryCall(parameters: URLSearchParams, pathQueueUrl?: string): SqsQueryCall {
  const action = parameters.get('Action');
  if (!action) throw new SqsProtocolError('MissingAction', 'The request must contain the parameter Action.');
  const read = Object.hasOwn(queryReaders, action) ? queryReaders[action] : undefined;
  if (!read) throw new SqsProtocolError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
  const input = withoutUndefined(read(parameterTree(parameters)));
  if (input['QueueUrl'] === undefined && pathQueueUrl && action !== 'CreateQueue' && action !== 'GetQueueUrl' && action !== 'ListQueues') input['QueueUrl'] = pathQueueUrl;
  return { action, input };
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

/** XML text; `\r` is kept as a character reference, or XML parsers would fold it into `\n`. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\r]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[char]!);
}

function element(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function mapElements(name: string, map: unknown, keyName = 'Name', valueName = 'Value'): string {
  return Object.entries(asRecord(map))
    .map(([key, value]) => `<${name}>${element(keyName, key)}${element(valueName, value)}</${name}>`)
    .join('');
}

function messageAttributeElements(map: unknown): string {
  return Object.entries(asRecord(map))
    .map(([name, raw]) => {
      const value = asRecord(raw);
      const lists =
        asList(value['StringListValues']).map((item) => element('StringListValue', item)).join('') +
        asList(value['BinaryListValues']).map((item) => element('BinaryListValue', item)).join('');
      return `<MessageAttribute>${element('Name', name)}<Value>${element('StringValue', value['StringValue'])}${element('BinaryValue', value['BinaryValue'])}${lists}${element('DataType', value['DataType'])}</Value></MessageAttribute>`;
    })
    .join('');
}

function batchErrors(failed: unknown): string {
  return asList(failed)
    .map((raw) => {
      const entry = asRecord(raw);
      return `<BatchResultErrorEntry>${element('Id', entry['Id'])}${element('SenderFault', entry['SenderFault'] ?? true)}${element('Code', entry['Code'])}${element('Message', entry['Message'])}</BatchResultErrorEntry>`;
    })
    .join('');
}

function idEntries(name: string, successful: unknown): string {
  return asList(successful)
    .map((raw) => `<${name}>${element('Id', asRecord(raw)['Id'])}</${name}>`)
    .join('');
}

/** Each action's result members as XML, from its JSON answer. Actions absent here answer no result element. */
const resultWriters: Record<string, (output: Record<string, unknown>) => string> = {
  CreateQueue: (output) => element('QueueUrl', output['QueueUrl']),
  GetQueueUrl: (output) => element('QueueUrl', output['QueueUrl']),
  ListQueues: (output) => asList(output['QueueUrls']).map((url) => element('QueueUrl', url)).join('') + element('NextToken', output['NextToken']),
  ListDeadLetterSourceQueues: (output) => asList(output['queueUrls']).map((url) => element('QueueUrl', url)).join('') + element('NextToken', output['NextToken']),
  SendMessage: (output) =>
    element('MD5OfMessageBody', output['MD5OfMessageBody']) +
    element('MD5OfMessageAttributes', output['MD5OfMessageAttributes']) +
    element('MD5OfMessageSystemAttributes', output['MD5OfMessageSystemAttributes']) +
    element('MessageId', output['MessageId']) +
    element('SequenceNumber', output['SequenceNumber']),
  SendMessageBatch: (output) =>
    asList(output['Successful'])
      .map((raw) => {
        const entry = asRecord(raw);
        return `<SendMessageBatchResultEntry>${element('Id', entry['Id'])}${element('MessageId', entry['MessageId'])}${element('MD5OfMessageBody', entry['MD5OfMessageBody'])}${element('MD5OfMessageAttributes', entry['MD5OfMessageAttributes'])}${element('MD5OfMessageSystemAttributes', entry['MD5OfMessageSystemAttributes'])}${element('SequenceNumber', entry['SequenceNumber'])}</SendMessageBatchResultEntry>`;
      })
      .join('') + batchErrors(output['Failed']),
  ReceiveMessage: (output) =>
    asList(output['Messages'])
      .map((raw) => {
        const message = asRecord(raw);
        return `<Message>${element('MessageId', message['MessageId'])}${element('ReceiptHandle', message['ReceiptHandle'])}${element('MD5OfBody', message['MD5OfBody'])}${element('Body', message['Body'])}${mapElements('Attribute', message['Attributes'])}${element('MD5OfMessageAttributes', message['MD5OfMessageAttributes'])}${messageAttributeElements(message['MessageAttributes'])}</Message>`;
      })
      .join(''),
  DeleteMessageBatch: (output) => idEntries('DeleteMessageBatchResultEntry', output['Successful']) + batchErrors(output['Failed']),
  ChangeMessageVisibilityBatch: (output) => idEntries('ChangeMessageVisibilityBatchResultEntry', output['Successful']) + batchErrors(output['Failed']),
  GetQueueAttributes: (output) => mapElements('Attribute', output['Attributes']),
  ListQueueTags: (output) => mapElements('Tag', output['Tags'], 'Key', 'Value'),
};

/**
 * The XML answer of a query action: `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`.
 *
 * @example
 * sqsQueryResponseXml('GetQueueUrl', { QueueUrl: 'http://127.0.0.1:4566/000000000000/q' }, 'id-1');
 * // '<?xml version="1.0"?><GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><GetQueueUrlResult><QueueUrl>http://127.0.0.1:4566/000000000000/q</QueueUrl></GetQueueUrlResult><ResponseMetadata><RequestId>id-1</RequestId></ResponseMetadata></GetQueueUrlResponse>'
 */
export function sqsQueryResponseXml(action: string, output: Record<string, unknown>, requestId: string = randomUUID()): string {
  const writer = Object.hasOwn(resultWriters, action) ? resultWriters[action] : undefined;
  const result = writer ? `<${action}Result>${writer(output)}</${action}Result>` : '';
  return `<?xml version="1.0"?><${action}Response xmlns="${sqsQueryNamespace}">${result}<ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
}

/**
 * An error in the query protocol's shape, with its query code.
 *
 * @example
 * sqsQueryErrorXml(new SqsProtocolError('QueueDoesNotExist', 'The specified queue does not exist.'), 'id-1');
 * // '<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>…'
 */
export function sqsQueryErrorXml(error: SqsProtocolError, requestId: string = randomUUID()): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="${sqsQueryNamespace}"><Error>${element('Type', error.senderFault ? 'Sender' : 'Receiver')}${element('Code', error.queryCode)}${element('Message', error.message)}<Detail/></Error>${element('RequestId', requestId)}</ErrorResponse>`;
}

/**
 * The JSON protocol's error body and the `x-amzn-query-error` header that carries the query
 * code, which SDKs read to raise the same error under either protocol.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
 */
export function sqsJsonError(error: SqsProtocolError): { body: string; headers: Record<string, string> } {
  return {
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
    headers: { 'x-amzn-query-error': `${error.queryCode};${error.senderFault ? 'Sender' : 'Receiver'}` },
  };
}

/** An error answered by the JSON store (`__type: com.amazonaws.sqs#QueueDoesNotExist`), as a {@link SqsProtocolError}. */
export function sqsErrorFromJson(statusCode: number, body: Record<string, unknown>): SqsProtocolError {
  const type = String(body['__type'] ?? body['code'] ?? 'InternalFailure');
  const code = type.includes('#') ? type.slice(type.indexOf('#') + 1) : type;
  return new SqsProtocolError(code, String(body['message'] ?? body['Message'] ?? ''), statusCode);
}
