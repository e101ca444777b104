import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `sluice serve` as a drop-in local AWS endpoint, driven by real AWS CLIs: Debian's awscli
 * 2.9 (SQS over the query protocol) and pip's awscli 1.x (SQS over JSON, the botocore boto3
 * uses). Each client runs its commands through the CLI's own entry point in one Python
 * process (test/fixtures/real-clients/aws-cli-driver.py), plus one call through its `aws`
 * executable; a client that is absent is skipped with the reason.
 */

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const driverScript = fileURLToPath(new URL('../fixtures/real-clients/aws-cli-driver.py', import.meta.url));

interface CliClient {
  readonly key: string;
  readonly name: string;
  readonly python: string;
  /** The command that runs this CLI as a user types it. */
  readonly executable: readonly string[];
  readonly majorVersion: string;
  readonly sqsProtocol: 'query' | 'json';
}

const clients: readonly CliClient[] = [
  { key: 'deb', name: "Debian's awscli 2.x", python: '/usr/bin/python3', executable: ['/usr/bin/aws'], majorVersion: '2', sqsProtocol: 'query' },
  { key: 'pip', name: "pip's awscli 1.x", python: 'python3', executable: ['python3', '-m', 'awscli'], majorVersion: '1', sqsProtocol: 'json' },
];

const clientEnv: NodeJS.ProcessEnv = {
  ...process.env,
  // The usual dummy credentials: any key works on every service.
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** Why a client cannot run here, or its version and SQS protocol. */
function probe(client: CliClient): { version: string; protocol: string } | { skip: string } {
  const found = spawnSync(
    client.python,
    ['-c', "import awscli, botocore.session; print(awscli.__version__, botocore.session.get_session().get_service_model('sqs').metadata['protocol'])"],
    { encoding: 'utf8', env: clientEnv, timeout: 30_000 },
  );
  if (found.error || found.status !== 0) return { skip: `${client.name} is not installed (${client.python} cannot import awscli${found.error ? `: ${found.error.message}` : ''})` };
  const [version = '', protocol = ''] = found.stdout.trim().split(/\s+/);
  if (!version.startsWith(`${client.majorVersion}.`)) return { skip: `${client.python} has awscli ${version}, not the ${client.name} this test drives` };
  return { version, protocol };
}

interface CliAnswer {
  rc: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

/** One long-lived CLI driver process: `run(args)` answers as `aws args` would. */
class CliSession {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(answer: CliAnswer) => void> = [];
  constructor(
    python: string,
    private readonly endpoint: string,
  ) {
    this.child = spawn(python, [driverScript], { env: clientEnv, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as CliAnswer;
      try {
        answer.json = answer.stdout.trim() ? (JSON.parse(answer.stdout) as Record<string, unknown>) : undefined;
      } catch {
        answer.json = undefined;
      }
      this.waiting.shift()?.(answer);
    });
  }
  run(...args: string[]): Promise<CliAnswer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(['--endpoint-url', this.endpoint, '--output', 'json', ...args])}\n`);
    });
  }
  close(): void {
    this.child.stdin!.end();
  }
}

let serveChild: ChildProcess | undefined;
let endpoint = '';
let scratch = '';

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sluice-real-clients-'));
  serveChild = spawn(process.execPath, [sluiceBin, 'serve', '--port', '0', '--services', 'sqs,kinesis,eventbridge,s3', '--ready-json'], { stdio: ['pipe', 'pipe', 'inherit'] });
  endpoint = await new Promise<string>((resolve, reject) => {
    createInterface({ input: serveChild!.stdout! }).on('line', (line) => {
      try {
        const ready = JSON.parse(line) as { endpoint?: string; error?: string };
        if (ready.endpoint) resolve(ready.endpoint);
        else if (ready.error) reject(new Error(ready.error));
      } catch {
        // Not the ready line.
      }
    });
    serveChild!.once('exit', (code) => reject(new Error(`sluice serve exited with ${code} before it was ready`)));
  });
}, 90_000);

afterAll(async () => {
  if (serveChild && serveChild.exitCode === null) {
    const exited = new Promise((resolve) => serveChild!.once('exit', resolve));
    serveChild.stdin!.end();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (serveChild.exitCode === null) serveChild.kill('SIGKILL');
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The code in the CLI's error line: `An error occurred (Code) when calling …`. */
function errorCode(answer: CliAnswer): string | undefined {
  return /An error occurred \(([^)]+)\)/.exec(answer.stderr)?.[1];
}

// The two clients run side by side (each through its own driver process), to keep the file short.
describe.concurrent('sluice serve with real AWS clients', () => {
for (const client of clients) {
  const found = probe(client);
  if ('skip' in found) {
    console.log(`serve-real-clients: skipping ${client.name}: ${found.skip}`);
    describe(`sluice serve with ${client.name}`, () => {
      // Shown as skipped, with the reason, where the client is not installed.
      it.skipIf(true)(`skipped: ${found.skip}`, () => undefined);
    });
    continue;
  }

  describe(`sluice serve with ${client.name} ${found.version}`, () => {
    // One driver process per test, so the tests run side by side without queueing behind
    // each other's calls.
    const sessions: CliSession[] = [];
    const newSession = () => {
      const session = new CliSession(client.python, endpoint);
      sessions.push(session);
      return session;
    };
    let executableRun: Promise<{ status: number | null; stderr: string }>;
    const name = (base: string) => `${client.key}-${base}`;
    beforeAll(() => {
      executableRun = new Promise((resolve) => {
        const child = spawn(client.executable[0]!, [...client.executable.slice(1), '--endpoint-url', endpoint, 'sqs', 'list-queues', '--output', 'json'], { env: clientEnv });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('error', (error) => resolve({ status: null, stderr: error.message }));
        child.on('close', (status) => resolve({ status, stderr }));
      });
    });
    afterAll(() => {
      for (const session of sessions) session.close();
    });

    it(`its own executable reaches the endpoint (SQS over the ${client.sqsProtocol} protocol)`, async () => {
      expect(found.protocol).toBe(client.sqsProtocol);
      const listed = await executableRun;
      expect(listed.stderr).toBe('');
      expect(listed.status).toBe(0);
    }, 90_000);

    it('SQS: queues, messages, batches, attributes, tags, dead-letter sources and AWS errors', async () => {
      const cli = newSession();
      const created = await cli.run('sqs', 'create-queue', '--queue-name', name('orders'), '--attributes', 'VisibilityTimeout=30', '--tags', 'team=a');
      expect(created.stderr).toBe('');
      const queueUrl = String(created.json?.['QueueUrl']);
      // The endpoint the client called, not a host of the emulator's making.
      expect(queueUrl).toBe(`${endpoint}/000000000000/${name('orders')}`);
      const dlq = await cli.run('sqs', 'create-queue', '--queue-name', name('orders-dlq'));
      const dlqUrl = String(dlq.json?.['QueueUrl']);
      expect((await cli.run('sqs', 'get-queue-url', '--queue-name', name('orders'))).json?.['QueueUrl']).toBe(queueUrl);
      expect((await cli.run('sqs', 'list-queues', '--queue-name-prefix', name('orders'))).json?.['QueueUrls']).toEqual([queueUrl, dlqUrl]);

      const sent = await cli.run('sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'a <b> & "c"', '--message-attributes', '{"kind":{"DataType":"String","StringValue":"order"}}');
      expect(sent.json?.['MD5OfMessageBody']).toBe(createHash('md5').update('a <b> & "c"').digest('hex'));
      expect(String(sent.json?.['MessageId'])).toMatch(/\S+/);
      const batch = await cli.run('sqs', 'send-message-batch', '--queue-url', queueUrl, '--entries', 'Id=one,MessageBody=first', 'Id=two,MessageBody=second');
      expect((batch.json?.['Successful'] as unknown[]).length).toBe(2);

      const received = await cli.run('sqs', 'receive-message', '--queue-url', queueUrl, '--max-number-of-messages', '10', '--attribute-names', 'All', '--message-attribute-names', 'All');
      const messages = received.json?.['Messages'] as Array<{ Body: string; ReceiptHandle: string; MessageAttributes?: Record<string, { StringValue: string }>; Attributes: Record<string, string> }>;
      expect(messages.map((message) => message.Body).sort()).toEqual(['a <b> & "c"', 'first', 'second']);
      const withAttribute = messages.find((message) => message.Body.startsWith('a <b>'))!;
      expect(withAttribute.MessageAttributes?.['kind']?.StringValue).toBe('order');
      expect(withAttribute.Attributes['ApproximateReceiveCount']).toBe('1');

      const [first, second, third] = messages;
      expect((await cli.run('sqs', 'delete-message', '--queue-url', queueUrl, '--receipt-handle', first!.ReceiptHandle)).rc).toBe(0);
      // A handle the queue issued is accepted again after its message is gone, as AWS documents.
      expect((await cli.run('sqs', 'delete-message', '--queue-url', queueUrl, '--receipt-handle', first!.ReceiptHandle)).rc).toBe(0);
      const bogusDelete = await cli.run('sqs', 'delete-message', '--queue-url', queueUrl, '--receipt-handle', 'not-a-handle');
      expect(errorCode(bogusDelete)).toBe('ReceiptHandleIsInvalid');
      expect(bogusDelete.stderr).toContain('The input receipt handle "not-a-handle" is not a valid receipt handle.');
      expect(errorCode(await cli.run('sqs', 'change-message-visibility', '--queue-url', queueUrl, '--receipt-handle', 'not-a-handle', '--visibility-timeout', '5'))).toBe('ReceiptHandleIsInvalid');
      expect((await cli.run('sqs', 'change-message-visibility', '--queue-url', queueUrl, '--receipt-handle', second!.ReceiptHandle, '--visibility-timeout', '60')).rc).toBe(0);
      const visibilityBatch = await cli.run('sqs', 'change-message-visibility-batch', '--queue-url', queueUrl, '--entries', `Id=a,ReceiptHandle=${third!.ReceiptHandle},VisibilityTimeout=60`);
      expect(visibilityBatch.json?.['Successful']).toEqual([{ Id: 'a' }]);
      const deleteBatch = await cli.run('sqs', 'delete-message-batch', '--queue-url', queueUrl, '--entries', `Id=good,ReceiptHandle=${second!.ReceiptHandle}`, 'Id=bad,ReceiptHandle=not-a-handle');
      expect(deleteBatch.json?.['Successful']).toEqual([{ Id: 'good' }]);
      expect((deleteBatch.json?.['Failed'] as Array<{ Id: string; Code: string; SenderFault: boolean }>).map(({ Id, Code, SenderFault }) => ({ Id, Code, SenderFault }))).toEqual([{ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true }]);

      const dlqArn = (await cli.run('sqs', 'get-queue-attributes', '--queue-url', dlqUrl, '--attribute-names', 'QueueArn')).json?.['Attributes'] as Record<string, string>;
      const redrive = JSON.stringify({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn['QueueArn'], maxReceiveCount: '3' }) });
      expect((await cli.run('sqs', 'set-queue-attributes', '--queue-url', queueUrl, '--attributes', redrive)).rc).toBe(0);
      const attributes = (await cli.run('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'All')).json?.['Attributes'] as Record<string, string>;
      expect(attributes['VisibilityTimeout']).toBe('30');
      expect(JSON.parse(attributes['RedrivePolicy']!)).toMatchObject({ deadLetterTargetArn: dlqArn['QueueArn'] });
      expect((await cli.run('sqs', 'list-dead-letter-source-queues', '--queue-url', dlqUrl)).json?.['queueUrls']).toEqual([queueUrl]);

      expect((await cli.run('sqs', 'tag-queue', '--queue-url', queueUrl, '--tags', 'env=test')).rc).toBe(0);
      expect((await cli.run('sqs', 'untag-queue', '--queue-url', queueUrl, '--tag-keys', 'team')).rc).toBe(0);
      expect((await cli.run('sqs', 'list-queue-tags', '--queue-url', queueUrl)).json?.['Tags']).toEqual({ env: 'test' });
      expect((await cli.run('sqs', 'purge-queue', '--queue-url', queueUrl)).rc).toBe(0);

      const missing = await cli.run('sqs', 'get-queue-url', '--queue-name', name('nowhere'));
      expect(errorCode(missing)).toBe('AWS.SimpleQueueService.NonExistentQueue');
      expect(errorCode(await cli.run('sqs', 'send-message-batch', '--queue-url', queueUrl, '--entries', 'Id=x,MessageBody=a', 'Id=x,MessageBody=b'))).toBe('AWS.SimpleQueueService.BatchEntryIdsNotDistinct');
      expect((await cli.run('sqs', 'delete-queue', '--queue-url', queueUrl)).rc).toBe(0);
      expect((await cli.run('sqs', 'delete-queue', '--queue-url', dlqUrl)).rc).toBe(0);
      expect(errorCode(await cli.run('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'All'))).toBe('AWS.SimpleQueueService.NonExistentQueue');
    }, 90_000);

    it('Kinesis: stream, records, shards and AWS errors', async () => {
      const cli = newSession();
      const stream = name('clicks');
      expect((await cli.run('kinesis', 'create-stream', '--stream-name', stream, '--shard-count', '1')).rc).toBe(0);
      expect((await cli.run('kinesis', 'describe-stream-summary', '--stream-name', stream)).json?.['StreamDescriptionSummary']).toMatchObject({ StreamName: stream, OpenShardCount: 1 });
      // CLI 2 reads blobs as base64 unless told otherwise; CLI 1 sends the text as given.
      const put = await cli.run('kinesis', 'put-record', '--stream-name', stream, '--partition-key', 'k', '--data', 'hello', ...(client.majorVersion === '2' ? ['--cli-binary-format', 'raw-in-base64-out'] : []));
      expect(put.json?.['ShardId']).toBe('shardId-000000000000');
      const shards = (await cli.run('kinesis', 'list-shards', '--stream-name', stream)).json?.['Shards'] as Array<{ ShardId: string }>;
      const iterator = (await cli.run('kinesis', 'get-shard-iterator', '--stream-name', stream, '--shard-id', shards[0]!.ShardId, '--shard-iterator-type', 'TRIM_HORIZON')).json?.['ShardIterator'];
      const records = (await cli.run('kinesis', 'get-records', '--shard-iterator', String(iterator))).json?.['Records'] as Array<{ Data: string }>;
      expect(records.map((record) => record.Data)).toEqual(['aGVsbG8=']);
      expect(errorCode(await cli.run('kinesis', 'describe-stream-summary', '--stream-name', name('nowhere')))).toBe('ResourceNotFoundException');
      expect((await cli.run('kinesis', 'delete-stream', '--stream-name', stream)).rc).toBe(0);
    }, 90_000);

    it('EventBridge: bus, rules, PutEvents and TestEventPattern as AWS validates them', async () => {
      const cli = newSession();
      const bus = name('shop');
      expect((await cli.run('events', 'create-event-bus', '--name', bus)).rc).toBe(0);
      const rule = await cli.run('events', 'put-rule', '--name', name('running'), '--event-bus-name', bus, '--event-pattern', '{"detail":{"state.status":["running"]}}');
      expect(String(rule.json?.['RuleArn'])).toContain(`rule/${bus}/${name('running')}`);
      const entries = Array.from({ length: 11 }, (_, index) => ({ Source: 'shop', DetailType: 'created', Detail: `{"n":${index}}`, EventBusName: bus }));
      const entriesFile = join(scratch, `${client.key}-entries.json`);
      writeFileSync(entriesFile, JSON.stringify(entries));
      const tooMany = await cli.run('events', 'put-events', '--entries', `file://${entriesFile}`);
      expect(errorCode(tooMany)).toBe('ValidationException');
      expect(tooMany.stderr).toMatch(/1 validation error detected: Value '\[.*\]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10/);
      writeFileSync(entriesFile, JSON.stringify(entries.slice(0, 10)));
      expect((await cli.run('events', 'put-events', '--entries', `file://${entriesFile}`)).json?.['FailedEntryCount']).toBe(0);

      const event = { id: '1', account: '123456789012', source: 'shop', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'x', detail: { state: { status: 'running' } } };
      expect((await cli.run('events', 'test-event-pattern', '--event-pattern', '{"detail":{"state.status":["running"]}}', '--event', JSON.stringify(event))).json?.['Result']).toBe(true);
      const { id: _id, account: _account, ...withoutIdAndAccount } = event;
      const invalidEvent = await cli.run('events', 'test-event-pattern', '--event-pattern', '{"source":["shop"]}', '--event', JSON.stringify(withoutIdAndAccount));
      expect(errorCode(invalidEvent)).toBe('ValidationException');
      expect(invalidEvent.stderr).toContain('Parameter Event is not valid.');
      expect(errorCode(await cli.run('events', 'test-event-pattern', '--event-pattern', '{"source":["shop"]}', '--event', JSON.stringify([event])))).toBe('ValidationException');
      const tooComplex = await cli.run('events', 'put-rule', '--name', name('complex'), '--event-bus-name', bus, '--event-pattern', '{"resources":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}');
      expect(errorCode(tooComplex)).toBe('InvalidEventPatternException');
      expect(tooComplex.stderr).toContain('Rule is too complex');
      // JavaScript reads 1E-325 as 0; EventBridge refuses it as it refuses 1E-320.
      const underflow = await cli.run('events', 'put-rule', '--name', name('tiny'), '--event-bus-name', bus, '--event-pattern', '{"detail":{"n":[{"numeric":["=",1E-325]}]}}');
      expect(errorCode(underflow)).toBe('InvalidEventPatternException');

      expect((await cli.run('events', 'list-rules', '--event-bus-name', bus)).json?.['Rules']).toHaveLength(1);
      expect((await cli.run('events', 'delete-rule', '--name', name('running'), '--event-bus-name', bus)).rc).toBe(0);
      expect((await cli.run('events', 'delete-event-bus', '--name', bus)).rc).toBe(0);
    }, 90_000);

    it('S3: buckets and objects with dummy credentials', async () => {
      const cli = newSession();
      const bucket = name('uploads');
      const file = join(scratch, `${client.key}-object.txt`);
      writeFileSync(file, 'hello s3');
      expect((await cli.run('s3api', 'create-bucket', '--bucket', bucket)).stderr).toBe('');
      expect((await cli.run('s3api', 'put-object', '--bucket', bucket, '--key', 'in/a.txt', '--body', file)).rc).toBe(0);
      expect(((await cli.run('s3api', 'list-objects-v2', '--bucket', bucket)).json?.['Contents'] as Array<{ Key: string }>).map((object) => object.Key)).toEqual(['in/a.txt']);
      const downloaded = join(scratch, `${client.key}-downloaded.txt`);
      expect((await cli.run('s3api', 'get-object', '--bucket', bucket, '--key', 'in/a.txt', downloaded)).json?.['ContentLength']).toBe(8);
      expect(errorCode(await cli.run('s3api', 'head-object', '--bucket', bucket, '--key', 'nowhere'))).toBe('404');
      expect((await cli.run('s3', 'ls', `s3://${bucket}/in/`)).stdout).toContain('a.txt');
      expect((await cli.run('s3api', 'delete-object', '--bucket', bucket, '--key', 'in/a.txt')).rc).toBe(0);
      expect((await cli.run('s3api', 'delete-bucket', '--bucket', bucket)).rc).toBe(0);
    }, 90_000);

    it('S3: notifications to a queue (the test event, then the object event) and to EventBridge', async () => {
      const cli = newSession();
      const bucket = name('notified');
      expect((await cli.run('s3api', 'create-bucket', '--bucket', bucket)).rc).toBe(0);
      const config = (queueArn: string) => JSON.stringify({ QueueConfigurations: [{ Id: 'to-queue', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } } }] });
      const missing = await cli.run('s3api', 'put-bucket-notification-configuration', '--bucket', bucket, '--notification-configuration', config('arn:aws:sqs:us-east-1:000000000000:nowhere'));
      expect(errorCode(missing)).toBe('InvalidArgument');
      expect(missing.stderr).toContain('Unable to validate the following destination configurations');

      const queueUrl = (await cli.run('sqs', 'create-queue', '--queue-name', name('uploads'))).json?.['QueueUrl'] as string;
      const queueArn = ((await cli.run('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'QueueArn')).json?.['Attributes'] as Record<string, string>)['QueueArn']!;
      expect((await cli.run('s3api', 'put-bucket-notification-configuration', '--bucket', bucket, '--notification-configuration', config(queueArn))).stderr).toBe('');
      expect((await cli.run('s3api', 'get-bucket-notification-configuration', '--bucket', bucket)).json?.['QueueConfigurations']).toMatchObject([{ Id: 'to-queue', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }]);
      const file = join(scratch, `${client.key}-notified.json`);
      writeFileSync(file, '{"order":1}');
      expect((await cli.run('s3api', 'put-object', '--bucket', bucket, '--key', 'in/order 1.json', '--body', file)).rc).toBe(0);
      const bodies: Array<Record<string, unknown>> = [];
      for (let attempt = 0; attempt < 10 && bodies.length < 2; attempt += 1) {
        const received = await cli.run('sqs', 'receive-message', '--queue-url', queueUrl, '--max-number-of-messages', '10', '--wait-time-seconds', '1');
        for (const message of (received.json?.['Messages'] ?? []) as Array<{ Body: string }>) bodies.push(JSON.parse(message.Body) as Record<string, unknown>);
      }
      expect(bodies[0]).toMatchObject({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket });
      expect(bodies[1]).toMatchObject({
        Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { configurationId: 'to-queue', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: 'in/order+1.json', size: 11 } } }],
      });

      expect((await cli.run('s3api', 'put-bucket-notification-configuration', '--bucket', bucket, '--notification-configuration', '{"EventBridgeConfiguration":{}}')).stderr).toBe('');
      expect((await cli.run('s3api', 'get-bucket-notification-configuration', '--bucket', bucket)).json).toEqual({ EventBridgeConfiguration: {} });
      expect((await cli.run('s3api', 'delete-object', '--bucket', bucket, '--key', 'in/order 1.json')).rc).toBe(0);
      expect((await cli.run('s3api', 'delete-bucket', '--bucket', bucket)).rc).toBe(0);
    }, 90_000);
  });
}
});
