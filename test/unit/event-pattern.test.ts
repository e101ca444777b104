import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from '../../core/event-pattern.ts';

// Patterns and events below are the examples of the EventBridge user guide:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
// and, where the guide is silent, of aws/event-ruler's README (the engine behind it).

/** The guide's running example event. */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
  },
};

/** event-ruler's README example, used by the guide's content-filtering examples. */
const rulerEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

function withDetail(detail: Record<string, unknown>): Record<string, unknown> {
  return { ...rulerEvent, detail };
}

describe('event pattern: exact values', () => {
  const pattern = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches when every field in the pattern has one of its values', () => {
    expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
  });

  it('ignores fields the pattern does not name', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'] }, ec2Event)).toBe(true);
  });

  it('does not match when one field differs (values are case-sensitive)', () => {
    expect(matchesEventPattern(pattern, { ...ec2Event, detail: { state: 'running' } })).toBe(false);
    expect(matchesEventPattern(pattern, { ...ec2Event, detail: { state: 'TERMINATED' } })).toBe(false);
  });

  it('does not match when a named field is missing', () => {
    const { detail: _omitted, ...withoutDetail } = ec2Event;
    expect(matchesEventPattern(pattern, withoutDetail)).toBe(false);
  });

  it('ORs the values of one field ("aws.ec2" or "aws.fargate")', () => {
    const either = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matchesEventPattern(either, ec2Event)).toBe(true);
    expect(matchesEventPattern(either, { ...ec2Event, source: 'aws.fargate' })).toBe(true);
    expect(matchesEventPattern(either, { ...ec2Event, source: 'aws.s3' })).toBe(false);
  });

  it('compares JSON types: the number 5 is not the string "5"', () => {
    expect(matchesEventPattern({ detail: { 'c-count': [5] } }, rulerEvent)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': ['5'] } }, rulerEvent)).toBe(false);
  });

  it('matches null and the empty string as values', () => {
    expect(matchesEventPattern({ detail: { UserID: [null] } }, withDetail({ UserID: null }))).toBe(true);
    expect(matchesEventPattern({ detail: { UserID: [null] } }, withDetail({ UserID: 'u-1' }))).toBe(false);
    expect(matchesEventPattern({ detail: { LastName: [''] } }, withDetail({ LastName: '' }))).toBe(true);
    expect(matchesEventPattern({ detail: { LastName: [''] } }, withDetail({ LastName: 'Doe' }))).toBe(false);
  });

  it('matches booleans', () => {
    expect(matchesEventPattern({ detail: { enabled: [true] } }, withDetail({ enabled: true }))).toBe(true);
    expect(matchesEventPattern({ detail: { enabled: [true] } }, withDetail({ enabled: 'true' }))).toBe(false);
  });

  it('needs the same nesting: a nested pattern never matches a flat value', () => {
    expect(matchesEventPattern({ detail: { state: { code: [16] } } }, ec2Event)).toBe(false);
    expect(matchesEventPattern({ detail: ['terminated'] }, ec2Event)).toBe(false);
  });
});

describe('event pattern: arrays in events', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches if the event array and the pattern array intersect', () => {
    const event = { ...ec2Event, resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] };
    expect(matchesEventPattern(pattern, event)).toBe(true);
  });

  it('does not match when no element is in the pattern', () => {
    const event = { ...ec2Event, resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] };
    expect(matchesEventPattern(pattern, event)).toBe(false);
    expect(matchesEventPattern(pattern, { ...ec2Event, resources: [] })).toBe(false);
  });

  it('matches an object pattern within one element of an array of objects, never across elements', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });

  it('flattens arrays of arrays', () => {
    const event = { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]], tags: [['a', 'b'], ['c']] };
    expect(matchesEventPattern({ employees: { firstName: ['Peter'] } }, event)).toBe(true);
    expect(matchesEventPattern({ tags: ['c'] }, event)).toBe(true);
  });
});

describe('event pattern: prefix', () => {
  it('matches a string starting with the prefix ("time" on 2017-10-02)', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, { ...rulerEvent, time: '2017-10-03T16:24:49Z' })).toBe(false);
  });

  it('matches region prefixes ("us-")', () => {
    const pattern = { region: [{ prefix: 'us-' }] };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, { ...rulerEvent, region: 'eu-west-1' })).toBe(false);
  });

  it('ignores case with equals-ignore-case inside prefix ("eventb")', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ service: 'EventBridge' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'Events' }))).toBe(false);
  });

  it('applies only to strings', () => {
    expect(matchesEventPattern({ detail: { 'c-count': [{ prefix: '5' }] } }, rulerEvent)).toBe(false);
  });
});

describe('event pattern: suffix', () => {
  it('matches a string ending with the suffix (".png")', () => {
    const pattern = { detail: { FileName: [{ suffix: '.png' }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'photos/cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'photos/cat.PNG' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'notes.txt' }))).toBe(false);
  });

  it('ignores case with equals-ignore-case inside suffix', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'photos/cat.PNG' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'photos/cat.Png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'photos/cat.jpg' }))).toBe(false);
  });
});

describe('event pattern: anything-but', () => {
  it('matches any value except the string ("initializing")', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('matches any value except the number (123)', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  it('excludes a list of strings ("stopped", "overloaded")', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ state: 'overloaded' }))).toBe(false);
  });

  it('excludes a list of numbers (100, 200, 300)', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('excludes a prefix ("init")', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('excludes a suffix (".txt")', () => {
    const pattern = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'notes.txt' }))).toBe(false);
  });

  it('excludes values in any case with equals-ignore-case ("Stopped", "OverLoaded")', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } };
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'STOPPED' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ state: 'overloaded' }))).toBe(false);
  });

  it('excludes a wildcard ("*/lib/*")', () => {
    const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/usr/bin/eb' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/usr/lib/libc.so' }))).toBe(false);
  });

  it('excludes a list of wildcards', () => {
    const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/home/me/notes' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/usr/bin/eb' }))).toBe(false);
  });

  it('never matches an absent field', () => {
    expect(matchesEventPattern({ detail: { missing: [{ 'anything-but': 'x' }] } }, rulerEvent)).toBe(false);
  });

  it('matches an array if one element is not excluded', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'stopped' }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: ['stopped', 'running'] }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: ['stopped'] }))).toBe(false);
  });
});

describe('event pattern: numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches when every range holds (c-count 5, d-count 3, x-limit 301.8)', () => {
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(true);
  });

  it('does not match outside a range', () => {
    expect(matchesEventPattern(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 6 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 0 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...rulerEvent.detail, 'd-count': 10 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...rulerEvent.detail, 'x-limit': 301.9 }))).toBe(false);
  });

  it('honours each bound operator', () => {
    const at = (operator: string, bound: number, value: number) => matchesEventPattern({ n: [{ numeric: [operator, bound] }] }, { n: value });
    expect([at('<', 10, 9), at('<', 10, 10)]).toEqual([true, false]);
    expect([at('<=', 10, 10), at('<=', 10, 11)]).toEqual([true, false]);
    expect([at('>', 10, 11), at('>', 10, 10)]).toEqual([true, false]);
    expect([at('>=', 10, 10), at('>=', 10, 9)]).toEqual([true, false]);
    expect([at('=', 10, 10), at('=', 10, 10.5)]).toEqual([true, false]);
  });

  it('applies only to JSON numbers, not to numeric strings', () => {
    expect(matchesEventPattern({ n: [{ numeric: ['>', 0] }] }, { n: '5' })).toBe(false);
  });
});

describe('event pattern: IP address matching (cidr)', () => {
  const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

  it('matches IPv4 addresses within the block', () => {
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.24' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
  });

  it('does not match outside the block or non-addresses', () => {
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.1.1' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: 'not-an-ip' }))).toBe(false);
  });

  it('matches IPv6 addresses within the block', () => {
    const v6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } };
    expect(matchesEventPattern(v6, withDetail({ sourceIPAddress: '2001:db8::1' }))).toBe(true);
    expect(matchesEventPattern(v6, withDetail({ sourceIPAddress: '2001:0db8:0000:0000:ffff:0:0:1' }))).toBe(true);
    expect(matchesEventPattern(v6, withDetail({ sourceIPAddress: '2001:db9::1' }))).toBe(false);
  });

  it('matches the complex example ("source-ip" in 10.0.0.0/8)', () => {
    const complex = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matchesEventPattern(complex, rulerEvent)).toBe(true);
    expect(matchesEventPattern(complex, withDetail({ ...rulerEvent.detail, 'source-ip': '11.0.0.1' }))).toBe(false);
  });
});

describe('event pattern: exists', () => {
  it('exists: true matches when the leaf is present', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
    expect(matchesEventPattern(pattern, { ...ec2Event, detail: {} })).toBe(false);
  });

  it('exists: false matches when detail.c-count is absent', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const event = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, rulerEvent)).toBe(false);
  });

  it('exists: false also matches when c-count is not a leaf (it holds an object)', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const event = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
  });

  it('treats a null value as present', () => {
    expect(matchesEventPattern({ detail: { UserID: [{ exists: true }] } }, withDetail({ UserID: null }))).toBe(true);
  });
});

describe('event pattern: equals-ignore-case', () => {
  const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };

  it('matches the value in any case', () => {
    expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
    expect(matchesEventPattern(pattern, { ...ec2Event, 'detail-type': 'EC2 INSTANCE STATE-CHANGE NOTIFICATION' })).toBe(true);
  });

  it('does not match another value', () => {
    expect(matchesEventPattern(pattern, { ...ec2Event, 'detail-type': 'EC2 Spot Instance Interruption Warning' })).toBe(false);
  });
});

describe('event pattern: wildcard', () => {
  it('matches any run of characters for * ("dir/*.png")', () => {
    const pattern = { detail: { FileName: [{ wildcard: 'dir/*.png' }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'dir/cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'dir/sub/dir/cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'dir/.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'other/cat.png' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'dir/cat.jpg' }))).toBe(false);
  });

  it('matches event-bus ARNs in any account ("arn:aws:events:us-east-1:*:event-bus/*")', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' })).toBe(true);
    expect(matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/orders' })).toBe(false);
  });

  it('reads \\* as a literal asterisk', () => {
    const pattern = { name: [{ wildcard: 'a\\*b' }] };
    expect(matchesEventPattern(pattern, { name: 'a*b' })).toBe(true);
    expect(matchesEventPattern(pattern, { name: 'axb' })).toBe(false);
  });

  it('places several wildcards in order ("*a*b*")', () => {
    const pattern = { name: [{ wildcard: '*a*b*' }] };
    expect(matchesEventPattern(pattern, { name: 'xxaxxbxx' })).toBe(true);
    expect(matchesEventPattern(pattern, { name: 'xxbxxaxx' })).toBe(false);
  });
});

describe('event pattern: $or', () => {
  it('matches if any branch matches (c-count or d-count or x-limit)', () => {
    const pattern = {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }],
      },
    };
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 3 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'd-count': 9 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 50, 'd-count': 50, 'x-limit': 1 }))).toBe(false);
  });

  it('ANDs $or with the other fields (source and (metricName or namespace))', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2', namespace: 'AWS/ES' })).toBe(false);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
  });

  it('nests $or inside a branch with an AND', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1 })).toBe(false);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });
});

describe('event pattern: robustness', () => {
  it('never reads inherited properties as event fields', () => {
    expect(matchesEventPattern({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matchesEventPattern({ constructor: [{ exists: false }] }, {})).toBe(true);
  });

  it('accepts JSON text and compiles once for many events', () => {
    const pattern = compileEventPattern('{"source":["aws.ec2"]}');
    expect(pattern.source).toEqual({ source: ['aws.ec2'] });
    expect(pattern.matches(ec2Event)).toBe(true);
    expect(pattern.matches({ source: 'aws.s3' })).toBe(false);
    expect(pattern.matches('not an event')).toBe(false);
  });

  it('survives deeply nested event arrays', () => {
    let nested: unknown = 'x';
    for (let depth = 0; depth < 50_000; depth++) nested = [nested];
    expect(matchesEventPattern({ a: ['x'] }, { a: nested })).toBe(true);
  });
});

describe('event pattern validation (InvalidEventPatternException)', () => {
  const invalid: Array<[string, unknown, string]> = [
    ['a pattern that is not an object', '["aws.ec2"]', 'Filter is not an object'],
    ['text that is not JSON', '{"source": [', 'not valid JSON'],
    ['an empty pattern', {}, 'Empty objects are not allowed'],
    ['a scalar field value', { source: 'aws.ec2' }, '"source" must be an object or an array'],
    ['an empty value array', { source: [] }, 'Empty arrays are not allowed'],
    ['a nested array value', { source: [['aws.ec2']] }, 'Match value must be String, number, true, false, or null'],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }, 'Unrecognized match type contains'],
    ['two operators in one expression', { source: [{ prefix: 'a', suffix: 'b' }] }, 'Only one key allowed in match expression'],
    ['a non-string prefix', { source: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
    ['an unsupported option in prefix', { source: [{ prefix: { wildcard: 'a*' } }] }, 'Unsupported prefix pattern: wildcard'],
    ['a numeric range with a bad second operator', { n: [{ numeric: ['>', 5, '>', 6] }] }, 'Bad numeric range operator: >'],
    ['a numeric range upside down', { n: [{ numeric: ['>', 10, '<', 5] }] }, 'Bottom must be less than top'],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 5] }] }, 'Unrecognized numeric range operator: !='],
    ['a numeric bound that is a string', { n: [{ numeric: ['<', '5'] }] }, 'Value of < must be numeric'],
    ['a numeric bound beyond 5e9', { n: [{ numeric: ['<', 6e9] }] }, 'Value must be between'],
    ['a numeric bound with 7 decimals', { n: [{ numeric: ['<', 0.0000001] }] }, 'Only values up to 6 decimals'],
    ['too many numeric terms after =', { n: [{ numeric: ['=', 5, '<', 6] }] }, 'Too many elements in numeric expression'],
    ['a non-boolean exists', { n: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false.'],
    ['a mixed anything-but list', { n: [{ 'anything-but': ['a', 1] }] }, 'mixed type is not supported'],
    ['a boolean in anything-but', { n: [{ 'anything-but': [true] }] }, 'start|null|boolean is not supported'],
    ['an empty anything-but prefix', { n: [{ 'anything-but': { prefix: '' } }] }, 'Null prefix/suffix not allowed'],
    ['an unsupported anything-but option', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'Unsupported anything-but pattern: numeric'],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 2'],
    ['a bad wildcard escape', { n: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 1'],
    ['a malformed CIDR', { ip: [{ cidr: '10.0.0.0/33' }] }, 'IPv4 mask bits must be < 32'],
    ['a $or that is not an array', { $or: { a: ['x'] } }, 'It must be an Array followed with $or.'],
    ['a $or with one branch', { $or: [{ a: ['x'] }] }, 'There must be at least 2 objects'],
    ['a $or branch that is not an object', { $or: [{ a: ['x'] }, 'b'] }, 'Only JSON object is allowed'],
    ['an operator name as a field inside $or', { $or: [{ prefix: ['x'] }, { a: ['y'] }] }, '"prefix" is a reserved word'],
  ];

  for (const [what, pattern, reason] of invalid) {
    it(`refuses ${what}`, () => {
      const problems = validateEventPattern(pattern);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]!.reason).toContain(reason);
      expect(() => compileEventPattern(pattern as Record<string, unknown>)).toThrow(InvalidEventPatternError);
    });
  }

  it('reports every problem with its path, and a stable code', () => {
    const pattern = { source: 'x', detail: { count: [{ numeric: ['>', 5, '>', 6] }], name: [] } };
    const problems = validateEventPattern(pattern);
    expect(problems).toEqual([
      { path: '$.source', reason: '"source" must be an object or an array' },
      { path: '$.detail.count[0].numeric', reason: 'Bad numeric range operator: >' },
      { path: '$.detail.name', reason: 'Empty arrays are not allowed' },
    ]);
    try {
      compileEventPattern(pattern);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventPatternError);
      const invalidError = error as InvalidEventPatternError;
      expect(invalidError.code).toBe('INVALID_EVENT_PATTERN');
      expect(invalidError.awsErrorType).toBe('InvalidEventPatternException');
      expect(invalidError.message).toBe('Event pattern is not valid. Reason: "source" must be an object or an array at $.source (and 2 more problems)');
    }
  });

  it('accepts every documented operator', () => {
    const pattern = {
      source: ['aws.ec2', { prefix: 'aws.' }, { suffix: 'ec2' }, { 'equals-ignore-case': 'AWS.EC2' }, { wildcard: 'aws.*' }],
      detail: {
        a: [{ 'anything-but': 'x' }, { 'anything-but': [1, 2] }, { 'anything-but': { prefix: 'p' } }, { 'anything-but': { suffix: ['s'] } }],
        b: [{ 'anything-but': { 'equals-ignore-case': 'X' } }, { 'anything-but': { wildcard: '*x*' } }],
        c: [{ numeric: ['>=', -5e9, '<', 5e9] }, { numeric: ['=', 0.000001] }],
        d: [{ exists: true }],
        e: [{ cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }, null, true, 1.5, ''],
        f: [{ prefix: { 'equals-ignore-case': 'p' } }, { suffix: { 'equals-ignore-case': 's' } }],
        $or: [{ g: ['1'] }, { h: { i: ['2'] } }],
      },
    };
    expect(validateEventPattern(pattern)).toEqual([]);
  });
});
