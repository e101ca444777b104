import { describe, expect, it } from 'vitest';
import { matchesEventPattern, validateEventPattern } from '../../core/event-pattern.ts';

/**
 * Conformance cases written from EventBridge's documentation, one table per operator:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * (content filtering), https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * (fields, nesting, dotted paths) and .../eb-event-patterns-arrays.html (arrays).
 * Each row: a pattern, an event, and whether EventBridge matches it; invalid patterns carry
 * the reason EventBridge gives.
 */

type MatchCase = readonly [name: string, pattern: Record<string, unknown>, event: Record<string, unknown>, matches: boolean];
type InvalidCase = readonly [name: string, pattern: string | Record<string, unknown>, reason: string];

const matchTables: Record<string, readonly MatchCase[]> = {
  'exact values and arrays': [
    ['a listed string', { source: ['aws.ec2', 'aws.fms'] }, { source: 'aws.fms' }, true],
    ['an unlisted string', { source: ['aws.ec2'] }, { source: 'aws.s3' }, false],
    ['matching is case-sensitive', { state: ['running'] }, { state: 'Running' }, false],
    ['a number as written', { n: [300] }, { n: 300 }, true],
    ['null matches null', { n: [null] }, { n: null }, true],
    ['null does not match a missing field', { n: [null] }, {}, false],
    ['an event array intersecting the pattern', { resources: ['arn:b', 'arn:c'] }, { resources: ['arn:a', 'arn:b'] }, true],
    ['an event array disjoint from the pattern', { resources: ['arn:x'] }, { resources: ['arn:a', 'arn:b'] }, false],
    ['a field absent from the event', { detail: { state: ['running'] } }, { detail: {} }, false],
  ],
  'dotted field names': [
    ['a dotted pattern key against a nested event', { detail: { 'state.status': ['running'] } }, { detail: { state: { status: 'running' } } }, true],
    ['a nested pattern against a dotted event key', { detail: { state: { status: ['running'] } } }, { detail: { 'state.status': 'running' } }, true],
    ['a dotted pattern key against a dotted event key', { 'detail.state': ['x'] }, { 'detail.state': 'x' }, true],
    ['a dotted pattern key with another value', { detail: { 'state.status': ['running'] } }, { detail: { state: { status: 'stopped' } } }, false],
  ],
  prefix: [
    ['a matching prefix', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' }, true],
    ['another prefix', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' }, false],
    ['prefix with equals-ignore-case', { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { service: 'eventbridge' }, true],
    ['prefix never matches a number', { n: [{ prefix: '1' }] }, { n: 12 }, false],
  ],
  suffix: [
    ['a matching suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
    ['a suffix of other case', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
    ['suffix with equals-ignore-case', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.PNG' }, true],
  ],
  'anything-but': [
    ['a string other than the excluded', { state: [{ 'anything-but': 'initializing' }] }, { state: 'running' }, true],
    ['the excluded string', { state: [{ 'anything-but': 'initializing' }] }, { state: 'initializing' }, false],
    ['a number other than the excluded', { 'x-limit': [{ 'anything-but': 123 }] }, { 'x-limit': 456 }, true],
    ['a listed string', { state: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { state: 'stopped' }, false],
    ['a listed number', { 'x-limit': [{ 'anything-but': [100, 200, 300] }] }, { 'x-limit': 200 }, false],
    ['anything-but prefix excludes', { state: [{ 'anything-but': { prefix: 'init' } }] }, { state: 'initializing' }, false],
    ['anything-but prefix lets others through', { state: [{ 'anything-but': { prefix: 'init' } }] }, { state: 'running' }, true],
    ['anything-but suffix excludes', { FileName: [{ 'anything-but': { suffix: '.txt' } }] }, { FileName: 'notes.txt' }, false],
    ['anything-but equals-ignore-case excludes', { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Overloaded'] } }] }, { state: 'STOPPED' }, false],
    ['anything-but wildcard excludes', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: 'dir/lib/file' }, false],
    ['anything-but wildcard lets others through', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: 'dir/src/file' }, true],
    ['anything-but needs the field', { state: [{ 'anything-but': 'initializing' }] }, {}, false],
  ],
  numeric: [
    ['inside a closed range', { c: [{ numeric: ['>', 0, '<=', 5] }] }, { c: 5 }, true],
    ['outside the range', { c: [{ numeric: ['>', 0, '<=', 5] }] }, { c: 5.5 }, false],
    ['equals', { c: [{ numeric: ['=', 300] }] }, { c: 300 }, true],
    ['equals a number spelt otherwise', { c: [{ numeric: ['=', 300] }] }, { c: 3.0e2 }, true],
    ['less than', { c: [{ numeric: ['<', 10] }] }, { c: 10 }, false],
    ['a string never matches numeric', { c: [{ numeric: ['>', 0] }] }, { c: '5' }, false],
  ],
  'ip address (cidr)': [
    ['an IPv4 address inside the block', { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }, { sourceIPAddress: '10.0.0.255' }, true],
    ['an IPv4 address outside the block', { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }, { sourceIPAddress: '10.0.1.0' }, false],
    ['an IPv6 address inside the block', { sourceIPAddress: [{ cidr: '2001:db8::/64' }] }, { sourceIPAddress: '2001:db8::ff' }, true],
    ['a host name is no address', { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] }, { sourceIPAddress: 'example.com' }, false],
  ],
  exists: [
    ['exists true with the field', { detail: { state: [{ exists: true }] } }, { detail: { state: 'x' } }, true],
    ['exists true without the field', { detail: { state: [{ exists: true }] } }, { detail: {} }, false],
    ['exists false without the field', { detail: { state: [{ exists: false }] } }, { detail: {} }, true],
    ['exists false with the field', { detail: { state: [{ exists: false }] } }, { detail: { state: 'x' } }, false],
    ['exists looks at leaves: an object field does not exist', { detail: { state: [{ exists: false }] } }, { detail: { state: { a: 1 } } }, true],
  ],
  'equals-ignore-case': [
    ['other case', { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, { 'detail-type': 'EC2 Instance State-change Notification' }, true],
    ['another value', { 'detail-type': [{ 'equals-ignore-case': 'x' }] }, { 'detail-type': 'y' }, false],
  ],
  wildcard: [
    ['a wildcard suffix', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' }, true],
    ['a wildcard in the middle', { Title: [{ wildcard: '*Title*' }] }, { Title: 'A Title here' }, true],
    ['a wildcard matches nothing too', { File: [{ wildcard: 'dir/*.png' }] }, { File: 'dir/.png' }, true],
    ['an escaped star is literal', { File: [{ wildcard: 'a\\*b' }] }, { File: 'axb' }, false],
    ['an escaped star matches a star', { File: [{ wildcard: 'a\\*b' }] }, { File: 'a*b' }, true],
  ],
  '$or': [
    ['the first alternative', { $or: [{ c: [{ numeric: ['>', 0, '<', 5] }] }, { d: [{ numeric: ['<', 10] }] }] }, { c: 1 }, true],
    ['the second alternative', { $or: [{ c: [{ numeric: ['>', 0, '<', 5] }] }, { d: [{ numeric: ['<', 10] }] }] }, { c: 7, d: 3 }, true],
    ['neither alternative', { $or: [{ c: [{ numeric: ['>', 0, '<', 5] }] }, { d: [{ numeric: ['<', 10] }] }] }, { c: 7, d: 30 }, false],
  ],
};

const invalidTable: readonly InvalidCase[] = [
  ['a field value that is not an array or object', { source: 'aws.ec2' }, '"source" must be an object or an array'],
  ['an empty array', { source: [] }, 'Empty arrays are not allowed'],
  ['an unknown operator', { n: [{ regex: 'a.*' }] }, 'Unrecognized match type regex'],
  ['prefix of a number', { n: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
  ['suffix of a number', { n: [{ suffix: 5 }] }, 'suffix match pattern must be a string'],
  ['wildcard of a number', { n: [{ wildcard: 5 }] }, 'wildcard match pattern must be a string'],
  ['consecutive wildcards name the second', { n: [{ wildcard: 'ab**c' }] }, 'Consecutive wildcard characters at pos 3'],
  ['an over-complex wildcard', { EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] }, 'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character'],
  ['an over-complex anything-but wildcard', { EventBusArn: [{ 'anything-but': { wildcard: '*:*:*:*:*:event-bus/*' } }] }, 'Rule is too complex'],
  ['a CIDR without a mask', { ip: [{ cidr: '10.0.0.1' }] }, "Malformed CIDR, one '/' required"],
  ['a CIDR with two slashes', { ip: [{ cidr: '10.0.0.0/8/8' }] }, "Malformed CIDR, one '/' required"],
  ['a CIDR mask that is not an integer', { ip: [{ cidr: '10.0.0.0/x' }] }, 'Malformed CIDR, mask bits must be an integer'],
  ['a negative CIDR mask', { ip: [{ cidr: '10.0.0.0/-1' }] }, 'Malformed CIDR, mask bits must not be negative'],
  ['an IPv4 mask of 32 or more', { ip: [{ cidr: '10.0.0.0/32' }] }, 'IPv4 mask bits must be < 32'],
  ['an IPv6 mask of 128 or more', { ip: [{ cidr: '2001:db8::/128' }] }, 'IPv6 mask bits must be < 128'],
  ['a CIDR on no address', { ip: [{ cidr: 'host/8' }] }, 'Nonstandard IP address: host'],
  ['a numeric bound above 5e9', { n: [{ numeric: ['>', 5000000001] }] }, 'Value must be between -5000000000 and 5000000000, inclusive'],
  ['a numeric bound with 7 decimals', { n: [{ numeric: ['=', 0.0000001] }] }, 'Only values up to 6 decimals are supported'],
  ['1E-320 (more decimals than compared)', '{"n":[{"numeric":["=",1E-320]}]}', 'Only values up to 6 decimals are supported'],
  ['1E-325 (read as 0 by JavaScript)', '{"n":[{"numeric":["=",1E-325]}]}', 'Only values up to 6 decimals are supported: 1E-325'],
  ['a range whose bottom is not below its top', { n: [{ numeric: ['>', 5, '<', 5] }] }, 'Bottom must be less than top'],
  ['exists of a string', { n: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false.'],
  ['anything-but of a mixed list', { n: [{ 'anything-but': ['a', 1] }] }, 'mixed type is not supported'],
  ['a $or with one alternative', { $or: [{ a: ['x'] }] }, 'There must be at least 2 objects in a $or relationship.'],
  ['an operator name as a field inside $or', { $or: [{ prefix: ['x'] }, { b: ['y'] }] }, '"prefix" is a reserved word'],
  ['a pattern that is not an object', '["source"]', 'Filter is not an object'],
];

describe('event pattern conformance (EventBridge documentation)', () => {
  for (const [operator, cases] of Object.entries(matchTables)) {
    describe(operator, () => {
      it.each(cases)('%s', (_name, pattern, event, expected) => {
        expect(validateEventPattern(pattern)).toEqual([]);
        expect(matchesEventPattern(pattern, event)).toBe(expected);
      });
    });
  }

  describe('invalid patterns, with EventBridge reason', () => {
    it.each(invalidTable)('%s', (_name, pattern, reason) => {
      const problems = validateEventPattern(pattern);
      expect(problems.map((problem) => problem.reason).join(' | ')).toContain(reason);
    });
  });

  it('accepts the wildcard patterns the documentation shows', () => {
    for (const wildcard of ['*.png', '*Title*', 'arn:aws:events:us-east-1:*:event-bus/*', 'arn:aws:s3:::bucket/*', 'us-*-1']) {
      expect(validateEventPattern({ f: [{ wildcard }] }), wildcard).toEqual([]);
    }
  });
});
