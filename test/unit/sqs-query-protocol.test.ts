import { describe, expect, it } from 'vitest';
import { readSqsQueryCall, sqsErrorFromJson, sqsQueryErrorXml, sqsQueryResponseXml, SqsProtocolError } from '../../localstack/embedded/sqs-query-protocol.ts';

const queueUrl = 'http://127.0.0.1:4566/000000000000/orders';

function call(query: string) {
  return readSqsQueryCall(new URLSearchParams(query));
}

describe('sqs query protocol: requests', () => {
  it('reads CreateQueue attributes and tags from their numbered members', () => {
    expect(call('Action=CreateQueue&Version=2012-11-05&QueueName=orders&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30&Attribute.2.Name=DelaySeconds&Attribute.2.Value=5&Tag.1.Key=team&Tag.1.Value=a')).toEqual({
      action: 'CreateQueue',
      input: { QueueName: 'orders', Attributes: { VisibilityTimeout: '30', DelaySeconds: '5' }, tags: { team: 'a' } },
    });
  });

  it('reads SendMessage with message attributes and a delay as a number', () => {
    const { input } = call(`Action=SendMessage&QueueUrl=${encodeURIComponent(queueUrl)}&MessageBody=hi&DelaySeconds=3&MessageAttribute.1.Name=kind&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=order`);
    expect(input).toEqual({ QueueUrl: queueUrl, MessageBody: 'hi', DelaySeconds: 3, MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } });
  });

  it('reads batch entries in their numbers\' order, not their text order', () => {
    const { input } = call('Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry.10.Id=j&DeleteMessageBatchRequestEntry.10.ReceiptHandle=r10&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=r2');
    expect(input['Entries']).toEqual([
      { Id: 'b', ReceiptHandle: 'r2' },
      { Id: 'j', ReceiptHandle: 'r10' },
    ]);
  });

  it('reads ReceiveMessage\'s attribute name lists', () => {
    const { input } = call('Action=ReceiveMessage&QueueUrl=q&AttributeName.1=All&MessageAttributeName.1=kind&MaxNumberOfMessages=10&WaitTimeSeconds=1');
    expect(input).toEqual({ QueueUrl: 'q', AttributeNames: ['All'], MessageAttributeNames: ['kind'], MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
  });

  it('takes the queue URL from the path when the call was posted to the queue', () => {
    expect(readSqsQueryCall(new URLSearchParams('Action=PurgeQueue'), queueUrl).input).toEqual({ QueueUrl: queueUrl });
  });

  it('refuses a missing or unknown action, and a non-integer number, as SQS does', () => {
    expect(() => call('Version=2012-11-05')).toThrow(expect.objectContaining({ code: 'MissingAction' }));
    expect(() => call('Action=AddPermission')).toThrow(expect.objectContaining({ code: 'InvalidAction', message: 'The action AddPermission is not valid for this endpoint.' }));
    expect(() => call('Action=ReceiveMessage&QueueUrl=q&MaxNumberOfMessages=ten')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });
});

describe('sqs query protocol: answers', () => {
  it('wraps a result in <ActionResponse><ActionResult> in the SQS namespace, with a request id', () => {
    expect(sqsQueryResponseXml('GetQueueUrl', { QueueUrl: queueUrl }, 'id-1')).toBe(
      `<?xml version="1.0"?><GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><GetQueueUrlResult><QueueUrl>${queueUrl}</QueueUrl></GetQueueUrlResult><ResponseMetadata><RequestId>id-1</RequestId></ResponseMetadata></GetQueueUrlResponse>`,
    );
  });

  it('answers an action without a result with the metadata only', () => {
    expect(sqsQueryResponseXml('DeleteQueue', {}, 'id-2')).toBe('<?xml version="1.0"?><DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ResponseMetadata><RequestId>id-2</RequestId></ResponseMetadata></DeleteQueueResponse>');
  });

  it('writes received messages with their attributes and escapes the body', () => {
    const xml = sqsQueryResponseXml('ReceiveMessage', {
      Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', MD5OfBody: 'x', Body: 'a<b>&\r', Attributes: { ApproximateReceiveCount: '1' }, MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } }],
    });
    expect(xml).toContain('<Message><MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle><MD5OfBody>x</MD5OfBody><Body>a&lt;b&gt;&amp;&#xD;</Body>');
    expect(xml).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    expect(xml).toContain('<MessageAttribute><Name>kind</Name><Value><StringValue>order</StringValue><DataType>String</DataType></Value></MessageAttribute>');
  });

  it('writes batch successes and failures', () => {
    const xml = sqsQueryResponseXml('DeleteMessageBatch', { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'bad' }] });
    expect(xml).toContain('<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry></DeleteMessageBatchResult>');
  });

  it('answers errors as <ErrorResponse> with the query code', () => {
    const error = sqsErrorFromJson(400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
    expect(sqsQueryErrorXml(error, 'id-3')).toBe(
      '<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>id-3</RequestId></ErrorResponse>',
    );
    expect(new SqsProtocolError('QueueNameExists', 'x').queryCode).toBe('QueueAlreadyExists');
    expect(new SqsProtocolError('InvalidParameterValue', 'x').queryCode).toBe('InvalidParameterValue');
    expect(new SqsProtocolError('InternalError', 'x', 500).senderFault).toBe(false);
  });
});
