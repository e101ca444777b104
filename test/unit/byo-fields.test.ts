import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError, type ScenarioProblem } from '../../scenario/errors.ts';
import { scenarioJsonSchema } from '../../scenario/json-schema.ts';
import { bringYourOwnTargetProblems, functionNameProblem, lambdaFunctionNameOf } from '../../drivers/bring-your-own.ts';
import { queueUrlProblem } from '../../drivers/sqs/bring-your-own.ts';
import { bucketNameProblem } from '../../drivers/s3/bring-your-own.ts';
import { apiUrlProblem } from '../../drivers/apigateway/bring-your-own.ts';
import { bringYourOwnFieldsOf } from '../../drivers/registry.ts';

const fieldsOf = (source: string) => bringYourOwnFieldsOf(source);

/** A scenario file whose one pattern is `patternLines` (YAML, indented under `- `). */
function scenarioText(patternLines: string[]): string {
  return ['name: byo', 'workload:', '  phases: [{ duration: 10, arrivalRate: 5 }]', 'patterns:', ...patternLines.map((line, index) => (index === 0 ? `  - ${line}` : `    ${line}`)), ''].join('\n');
}

function problemsOf(patternLines: string[]): ScenarioProblem[] {
  try {
    parseScenario(scenarioText(patternLines), 'byo.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

describe('bring-your-own fields in a scenario file', () => {
  describe('accepts what AWS names its resources', () => {
    it.each([
      ['sqs queueUrl on AWS', ['source: sqs', 'queueUrl: https://sqs.eu-west-1.amazonaws.com/123456789012/orders']],
      ['sqs queueUrl of a FIFO queue, with fifo: true', ['source: sqs', 'queueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo', 'fifo: true']],
      ['sqs queueUrl on LocalStack', ['source: sqs', 'queueUrl: http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders']],
      ['kinesis streamName', ['source: kinesis', 'streamName: orders.events_v2']],
      ['eventbridge busName', ['source: eventbridge', 'busName: orders-bus']],
      ['eventbridge default bus', ['source: eventbridge', 'busName: default']],
      ['s3 bucket', ['source: s3', 'bucket: orders.uploads-2026']],
      ['apigateway apiUrl', ['source: apigateway', 'apiUrl: https://abc1234567.execute-api.us-east-1.amazonaws.com/prod/events']],
      ['apigateway apiUrl on a custom domain', ['source: apigateway', 'apiUrl: https://api.example.com/v1/orders?tenant=a']],
      ['functionName', ['source: sqs', 'functionName: orders-consumer']],
      ['functionName with an alias', ['source: kinesis', 'functionName: orders-consumer:live']],
      ['functionName with a version', ['source: s3', 'functionName: orders-consumer:7']],
      ['functionName as an ARN', ['source: eventbridge', 'functionName: arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer:live']],
      ['source and function both', ['source: apigateway', 'apiUrl: https://abc1234567.execute-api.us-east-1.amazonaws.com/events', 'functionName: orders-api']],
    ])('%s', (_name, lines) => {
      expect(problemsOf(lines)).toEqual([]);
    });

    it('keeps the fields on the parsed pattern, beside its defaults', () => {
      const scenario = parseScenario(scenarioText(['source: sqs', 'queueUrl: https://sqs.eu-west-1.amazonaws.com/123456789012/orders', 'functionName: orders-consumer']), 'byo.yaml');
      expect(scenario.patterns[0]).toMatchObject({ source: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders', functionName: 'orders-consumer', batchSize: 10 });
      const kinesis = parseScenario(scenarioText(['source: kinesis', 'streamName: orders']), 'byo.yaml').patterns[0];
      expect(kinesis).toMatchObject({ streamName: 'orders', streamMode: 'provisioned' });
    });
  });

  describe('refuses what AWS would refuse, naming the line and the key', () => {
    it.each([
      ['a queueUrl that is not a URL', ['source: sqs', 'queueUrl: orders'], 'patterns[0].queueUrl', 6, /"orders" is not a queue URL such as https:\/\/sqs\./],
      ['a queueUrl without the account id', ['source: sqs', 'queueUrl: https://sqs.us-east-1.amazonaws.com/orders'], 'patterns[0].queueUrl', 6, /does not end in \/<12-digit account id>\/<queue name>/],
      ['a queueUrl whose queue name AWS refuses', ['source: sqs', 'queueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders!'], 'patterns[0].queueUrl', 6, /"orders!" is not an SQS queue name/],
      ['a FIFO queueUrl without fifo: true', ['source: sqs', 'queueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo'], 'patterns[0].fifo', 5, /names a FIFO queue .*set fifo: true/],
      ['fifo: true on a standard queue', ['source: sqs', 'queueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders', 'fifo: true'], 'patterns[0].fifo', 7, /names a standard queue/],
      ['a stream name with a space', ['source: kinesis', 'streamName: my stream'], 'patterns[0].streamName', 6, /a Kinesis stream name: 1–128 letters, digits, _ \. and -/],
      ['a stream name over 128 characters', ['source: kinesis', `streamName: ${'s'.repeat(129)}`], 'patterns[0].streamName', 6, /Kinesis stream name/],
      ['a bus name with a colon', ['source: eventbridge', 'busName: "orders:bus"'], 'patterns[0].busName', 6, /an EventBridge event bus name/],
      ['a bucket name with capitals', ['source: s3', 'bucket: Orders'], 'patterns[0].bucket', 6, /use lowercase letters, digits, dots and hyphens/],
      ['a bucket name like an IP address', ['source: s3', 'bucket: 192.168.5.4'], 'patterns[0].bucket', 6, /may not look like an IP address/],
      ['a bucket name with a reserved prefix', ['source: s3', 'bucket: xn--orders'], 'patterns[0].bucket', 6, /prefix xn-- is reserved/],
      ['an apiUrl that is not a URL', ['source: apigateway', 'apiUrl: /events'], 'patterns[0].apiUrl', 6, /is not the URL the load is sent to/],
      ['an apiUrl over http on API Gateway', ['source: apigateway', 'apiUrl: http://abc1234567.execute-api.us-east-1.amazonaws.com/events'], 'patterns[0].apiUrl', 6, /API Gateway serves HTTPS only/],
      ['a functionName too long', ['source: sqs', `functionName: ${'f'.repeat(65)}`], 'patterns[0].functionName', 6, /is not a Lambda function name/],
      ['a functionName with a bad alias', ['source: sqs', 'functionName: orders:live!'], 'patterns[0].functionName', 6, /"live!" is not a Lambda alias or version/],
      ['a malformed function ARN', ['source: sqs', 'functionName: arn:aws:lambda:eu-west-1:123:function:orders'], 'patterns[0].functionName', 6, /is not a Lambda function ARN/],
    ])('%s', (_name, lines, keyPath, line, message) => {
      const problems = problemsOf(lines);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file: 'byo.yaml', keyPath, line });
      expect(problems[0]!.message).toMatch(message);
    });

    it('refuses the field of another source, as any unknown key', () => {
      expect(problemsOf(['source: sqs', 'streamName: orders'])).toMatchObject([{ keyPath: 'patterns[0].streamName', line: 6, message: 'unknown key "streamName"' }]);
      expect(problemsOf(['source: kinesis', 'bucket: orders'])).toMatchObject([{ keyPath: 'patterns[0].bucket', message: 'unknown key "bucket"' }]);
    });

    it('reports every bad field at once', () => {
      const problems = problemsOf(['source: sqs', 'queueUrl: orders', 'functionName: "bad name"']);
      expect(problems.map((problem) => problem.keyPath)).toEqual(['patterns[0].queueUrl', 'patterns[0].functionName']);
    });
  });

  describe('the checks behind them', () => {
    it('reads the bare function name from every form', () => {
      expect(lambdaFunctionNameOf('orders')).toBe('orders');
      expect(lambdaFunctionNameOf('orders:$LATEST')).toBe('orders');
      expect(lambdaFunctionNameOf('arn:aws-cn:lambda:cn-north-1:123456789012:function:orders')).toBe('orders');
      expect(functionNameProblem('arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders:live')).toBeUndefined();
    });

    it('takes the emulators’ http URLs but not other schemes', () => {
      expect(queueUrlProblem('http://sqs.us-east-1.127.0.0.1:4566/000000000000/orders')).toBeUndefined();
      expect(queueUrlProblem('ftp://sqs.us-east-1.amazonaws.com/123456789012/orders')).toMatch(/is not a queue URL/);
      expect(apiUrlProblem('http://127.0.0.1:3000/events')).toBeUndefined();
      expect(apiUrlProblem('https://user:secret@api.example.com/events')).toMatch(/carries credentials/);
      expect(apiUrlProblem('https://api.example.com/events#top')).toMatch(/#fragment/);
    });

    it('applies S3’s bucket naming rules', () => {
      for (const ok of ['abc', 'a.b-c', 'orders-2026']) expect(bucketNameProblem(ok), ok).toBeUndefined();
      for (const bad of ['ab', 'a'.repeat(64), '-orders', 'orders-', 'a..b', 'orders-s3alias', 'orders--x-s3', 'sthree-orders']) expect(bucketNameProblem(bad), bad).toBeDefined();
    });
  });

  it('describes each field for editors, saying which target uses it', () => {
    const schema = JSON.stringify(scenarioJsonSchema());
    for (const field of ['queueUrl', 'streamName', 'busName', 'bucket', 'apiUrl', 'functionName']) expect(schema, field).toContain(`"${field}":{`);
    expect(schema).toContain('Only --target aws (or --target localstack --consumer localstack) uses it');
  });
});

describe('bring-your-own fields on each target', () => {
  const patterns = [
    { source: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders', functionName: 'orders-consumer' },
    { source: 'kinesis' },
    { source: 's3', bucket: 'orders-bucket' },
  ];

  it('are what --target aws and --consumer localstack are for', () => {
    expect(bringYourOwnTargetProblems(patterns, { target: 'aws', fieldsOf })).toEqual([]);
    expect(bringYourOwnTargetProblems(patterns, { target: 'localstack', consumer: 'localstack', fieldsOf })).toEqual([]);
  });

  it('are refused on the embedded target, each by its key, with what to do', () => {
    const problems = bringYourOwnTargetProblems(patterns, { target: 'embedded', fieldsOf });
    expect(problems.map((problem) => problem.keyPath)).toEqual(['patterns[0].functionName', 'patterns[0].queueUrl', 'patterns[2].bucket']);
    expect(problems[1]!.message).toMatch(/names an existing resource \(https:\/\/sqs\..*orders\), which only --target aws .* uses; on the embedded target sluice creates and consumes its own resources/);
    expect(problems[1]!.hint).toBe("Run with --target aws to load your own resources, or remove queueUrl to run this pattern on sluice's own resources here.");
  });

  it('are refused on LocalStack with sluice’s own consumer', () => {
    const problems = bringYourOwnTargetProblems([{ source: 'kinesis', streamName: 'orders' }], { target: 'localstack', consumer: 'sluice', fieldsOf });
    expect(problems).toMatchObject([{ keyPath: 'patterns[0].streamName', message: expect.stringMatching(/on --target localstack with sluice’s own consumer/) }]);
  });

  it('leave patterns without them alone on every target', () => {
    expect(bringYourOwnTargetProblems([{ source: 'sqs' }], { target: 'embedded', fieldsOf })).toEqual([]);
  });
});
