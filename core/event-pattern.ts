import { SluiceError } from './sluice-error.ts';

/**
 * EventBridge event-pattern matching, implemented from AWS's own documentation, because no
 * maintained npm package implements the full operator set (AWS's reference engine,
 * aws/event-ruler, is Java only).
 *
 * - Patterns, nesting, arrays: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - Operators: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * - Arrays in events: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *
 * Semantics, where the pages leave a question open, follow aws/event-ruler (the engine
 * behind EventBridge, whose README states them):
 * - fields in a pattern are ANDed, values in a field's array are ORed, `$or` ORs whole
 *   sub-patterns;
 * - a leaf matches if ANY value of the event field matches (event arrays are flattened);
 *   an object pattern against an array of objects must match within ONE element
 *   ("array-consistent" matching);
 * - `exists` looks at leaves only: a field holding an object (or an empty array) does not
 *   "exist", so `exists: false` matches it;
 * - operators only apply to values of their type: `prefix`, `suffix`, `equals-ignore-case`,
 *   `wildcard` and `cidr` to strings, `numeric` to JSON numbers; `anything-but` matches any
 *   present value except the listed ones (a value of another type is never excluded).
 *
 * Validation follows EventBridge's `InvalidEventPatternException` reasons, but reports
 * every problem found rather than the first.
 */

/** Stable codes of {@link InvalidEventPatternError}. */
export const eventPatternErrorCodes = {
  invalidEventPattern: 'INVALID_EVENT_PATTERN',
} as const;

/** One reason a pattern is refused, with where in the pattern it sits (`$.detail.state[0]`). */
export interface EventPatternProblem {
  readonly path: string;
  readonly reason: string;
}

/**
 * A pattern EventBridge would refuse. `awsErrorType` is the error EventBridge answers
 * PutRule with; `problems` lists every problem, the message starts with the first.
 *
 * @example
 * try { compileEventPattern('{"source": "aws.ec2"}'); }
 * catch (error) { if (error instanceof InvalidEventPatternError) error.problems[0].reason; } // '"source" must be an object or an array'
 */
export class InvalidEventPatternError extends SluiceError<(typeof eventPatternErrorCodes)['invalidEventPattern']> {
  readonly awsErrorType = 'InvalidEventPatternException';
  constructor(readonly problems: readonly EventPatternProblem[]) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(
      eventPatternErrorCodes.invalidEventPattern,
      `Event pattern is not valid. Reason: ${first?.reason ?? 'unknown'} at ${first?.path ?? '$'}${more}`,
      'Fix the pattern at each path listed in `problems`; the syntax is https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html',
    );
  }
}

/** A compiled, validated event pattern. */
export interface EventPattern {
  /** The pattern as given, parsed. */
  readonly source: Readonly<Record<string, unknown>>;
  /** Whether a parsed event (an object, e.g. the PutEvents envelope) matches. */
  matches(event: unknown): boolean;
}

/**
 * Compiles a pattern (JSON text or a parsed object) after checking it as EventBridge does.
 *
 * @throws InvalidEventPatternError listing every problem.
 * @example
 * const pattern = compileEventPattern({ source: ['orders'], detail: { amount: [{ numeric: ['>', 100] }] } });
 * pattern.matches({ source: 'orders', detail: { amount: 250 } }); // true
 */
export function compileEventPattern(pattern: string | Readonly<Record<string, unknown>>): EventPattern {
  const { compiled, problems, source } = compile(pattern);
  if (problems.length > 0 || !compiled || !source) throw new InvalidEventPatternError(problems);
  return {
    source,
    matches: (event: unknown) => matchObject(compiled, event),
  };
}

/**
 * Every problem EventBridge would find in a pattern; an empty list means it is valid.
 *
 * @example
 * validateEventPattern({ detail: { count: [{ numeric: ['>', 5, '>', 6] }] } });
 * // [{ path: '$.detail.count[0].numeric', reason: 'Bad numeric range operator: >' }]
 */
export function validateEventPattern(pattern: unknown): EventPatternProblem[] {
  return compile(pattern).problems;
}

/**
 * One-shot match, for tests and tools. Compile once with {@link compileEventPattern} when
 * matching many events.
 *
 * @throws InvalidEventPatternError when the pattern is not valid.
 * @example
 * matchesEventPattern({ source: [{ prefix: 'aws.' }] }, { source: 'aws.ec2' }); // true
 */
export function matchesEventPattern(pattern: string | Readonly<Record<string, unknown>>, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------
// Compiled form
// ---------------------------------------------------------------------------------------

/** A JSON value that is not an object or array: what leaf operators look at. */
type LeafValue = string | number | boolean | null;

interface ObjectNode {
  readonly kind: 'object';
  readonly fields: ReadonlyArray<{ readonly key: string; readonly node: ObjectNode | LeafNode }>;
  /** Each entry is one `$or`: the object matches it if any alternative matches. */
  readonly ors: ReadonlyArray<readonly ObjectNode[]>;
}

interface LeafNode {
  readonly kind: 'leaf';
  readonly tests: ReadonlyArray<(value: LeafValue) => boolean>;
  readonly existsTrue: boolean;
  readonly existsFalse: boolean;
}

const orKeyword = '$or';

/** Operator names; none may be a field name inside `$or` (event-ruler's reserved names). */
const operatorNames = new Set([
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'equals-ignore-case',
  'wildcard',
]);

/**
 * The numeric range event-ruler can compare: ±5.0e9 with six decimal places.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#filtering-numeric-matching
 */
const numericLimitAbs = 5e9;
const numericDecimalsMax = 6;

// ---------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The field's value, never one inherited from Object.prototype (`constructor`, `__proto__`).
 * A dot in an event's field name is a path separator, as EventBridge flattens events to
 * dotted paths: `{"state.status": "x"}` holds `state` → `status`, so when `key` is absent
 * the fields named `key.…` answer for it, as one object.
 */
function fieldOf(value: unknown, key: string): unknown {
  if (!isPlainObject(value)) return undefined;
  if (Object.hasOwn(value, key)) return value[key];
  let dotted: Record<string, unknown> | undefined;
  const prefix = `${key}.`;
  for (const name of Object.keys(value)) {
    if (name.length > prefix.length && name.startsWith(prefix)) (dotted ??= {})[name.slice(prefix.length)] = value[name];
  }
  return dotted;
}

/** Flattens nested arrays without recursion (events are untrusted and may nest deeply). */
function flatten(value: unknown[]): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[][] = [value];
  const indexes: number[] = [0];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const index = indexes[indexes.length - 1]!;
    if (index >= top.length) {
      stack.pop();
      indexes.pop();
      continue;
    }
    indexes[indexes.length - 1] = index + 1;
    const item = top[index];
    if (Array.isArray(item)) {
      stack.push(item);
      indexes.push(0);
    } else {
      out.push(item);
    }
  }
  return out;
}

function matchObject(node: ObjectNode, value: unknown): boolean {
  for (const { key, node: child } of node.fields) {
    const fieldValue = fieldOf(value, key);
    const ok = child.kind === 'leaf' ? matchLeaf(child, fieldValue) : matchNested(child, fieldValue);
    if (!ok) return false;
  }
  for (const alternatives of node.ors) {
    if (!alternatives.some((alternative) => matchObject(alternative, value))) return false;
  }
  return true;
}

/** An object pattern against an event value; against an array, it must match within one element. */
function matchNested(node: ObjectNode, value: unknown): boolean {
  if (!Array.isArray(value)) return matchObject(node, value);
  const elements = flatten(value);
  if (elements.length === 0) return matchObject(node, undefined);
  return elements.some((element) => matchObject(node, element));
}

function matchLeaf(node: LeafNode, value: unknown): boolean {
  const leaves: LeafValue[] = [];
  if (Array.isArray(value)) {
    for (const item of flatten(value)) if (!isPlainObject(item) && item !== undefined) leaves.push(item as LeafValue);
  } else if (value !== undefined && !isPlainObject(value)) {
    leaves.push(value as LeafValue);
  }
  if (leaves.length === 0) return node.existsFalse;
  if (node.existsTrue) return true;
  return leaves.some((leaf) => node.tests.some((test) => test(leaf)));
}

// ---------------------------------------------------------------------------------------
// Compiling and validating
// ---------------------------------------------------------------------------------------

class Problems {
  readonly list: EventPatternProblem[] = [];
  add(path: string, reason: string): void {
    this.list.push({ path, reason });
  }
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function compile(pattern: unknown): { compiled?: ObjectNode; problems: EventPatternProblem[]; source?: Record<string, unknown> } {
  const problems = new Problems();
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (error) {
      problems.add('$', `Event pattern is not valid JSON: ${(error as Error).message}`);
      return { problems: problems.list };
    }
    // JSON.parse reads 1E-325 as 0; EventBridge reads the number as written and refuses it
    // as it refuses 1E-320 (more decimals than it compares).
    for (const literal of underflowingNumbers(pattern)) problems.add('$', `Only values up to ${numericDecimalsMax} decimals are supported: ${literal}`);
  }
  if (!isPlainObject(parsed)) {
    problems.add('$', 'Filter is not an object');
    return { problems: problems.list };
  }
  const compiled = compileObject(parsed, '$', false, problems);
  return { compiled, problems: problems.list, source: parsed };
}

function compileObject(pattern: Record<string, unknown>, path: string, insideOr: boolean, problems: Problems): ObjectNode {
  const fields: Array<{ key: string; node: ObjectNode | LeafNode }> = [];
  const ors: ObjectNode[][] = [];
  const keys = Object.keys(pattern);
  if (keys.length === 0) problems.add(path, 'Empty objects are not allowed');
  for (const key of keys) {
    const value = pattern[key];
    const here = childPath(path, key);
    if (key === orKeyword) {
      ors.push(compileOr(value, here, problems));
      continue;
    }
    if (insideOr && operatorNames.has(key)) {
      problems.add(here, `"${key}" is a reserved word and cannot be a field name inside ${orKeyword}`);
      continue;
    }
    let node: ObjectNode | LeafNode;
    if (Array.isArray(value)) node = compileLeaf(value, here, problems);
    else if (isPlainObject(value)) node = compileObject(value, here, insideOr, problems);
    else {
      problems.add(here, `"${key}" must be an object or an array`);
      continue;
    }
    fields.push(dottedField(key, node));
  }
  return { kind: 'object', fields, ors };
}

/**
 * A dot in a pattern's field name is a path separator: `{"detail": {"state.status": […]}}`
 * tests `detail` → `state` → `status`, as a nested pattern does (EventBridge matches on
 * flattened, dotted field paths). A name with an empty segment (`a..b`, `.a`) stays whole.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
function dottedField(key: string, node: ObjectNode | LeafNode): { key: string; node: ObjectNode | LeafNode } {
  const segments = key.split('.');
  if (segments.length === 1 || segments.some((segment) => segment.length === 0)) return { key, node };
  let inner: ObjectNode | LeafNode = node;
  for (let index = segments.length - 1; index > 0; index--) inner = { kind: 'object', fields: [{ key: segments[index]!, node: inner }], ors: [] };
  return { key: segments[0]!, node: inner };
}

function compileOr(value: unknown, path: string, problems: Problems): ObjectNode[] {
  if (!Array.isArray(value)) {
    problems.add(path, `It must be an Array followed with ${orKeyword}.`);
    return [];
  }
  const alternatives: ObjectNode[] = [];
  value.forEach((item, index) => {
    if (isPlainObject(item)) alternatives.push(compileObject(item, `${path}[${index}]`, true, problems));
    else problems.add(`${path}[${index}]`, `Only JSON object is allowed in array of ${orKeyword} relationship.`);
  });
  if (value.length < 2) problems.add(path, `There must be at least 2 objects in a ${orKeyword} relationship.`);
  return alternatives;
}

function compileLeaf(values: unknown[], path: string, problems: Problems): LeafNode {
  const tests: Array<(value: LeafValue) => boolean> = [];
  let existsTrue = false;
  let existsFalse = false;
  if (values.length === 0) problems.add(path, 'Empty arrays are not allowed');
  values.forEach((value, index) => {
    const here = `${path}[${index}]`;
    if (typeof value === 'string') tests.push(exactString(value));
    else if (typeof value === 'number') tests.push((candidate) => candidate === value);
    else if (value === null || typeof value === 'boolean') tests.push((candidate) => candidate === value);
    else if (isPlainObject(value)) {
      const expression = compileMatchExpression(value, here, problems);
      if (expression === 'exists') existsTrue = true;
      else if (expression === 'absent') existsFalse = true;
      else if (expression) tests.push(expression);
    } else problems.add(here, 'Match value must be String, number, true, false, or null');
  });
  return { kind: 'leaf', tests, existsTrue, existsFalse };
}

/** An exact string; an IP address also matches its other spellings (`::1` and `0:0::1`), as event-ruler does. */
function exactString(expected: string): (value: LeafValue) => boolean {
  const ip = parseIp(expected);
  if (!ip) return (value) => value === expected;
  return (value) => {
    if (value === expected) return true;
    if (typeof value !== 'string') return false;
    const other = parseIp(value);
    return other !== undefined && other.bits === ip.bits && other.value === ip.value;
  };
}

type MatchExpression = ((value: LeafValue) => boolean) | 'exists' | 'absent' | undefined;

function compileMatchExpression(expression: Record<string, unknown>, path: string, problems: Problems): MatchExpression {
  const keys = Object.keys(expression);
  if (keys.length === 0) {
    problems.add(path, 'Match expression name not found');
    return undefined;
  }
  if (keys.length > 1) {
    problems.add(path, 'Only one key allowed in match expression');
    return undefined;
  }
  const operator = keys[0]!;
  const operand = expression[operator];
  const here = childPath(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(operator, operand, here, problems);
    case 'equals-ignore-case': {
      if (typeof operand !== 'string') {
        problems.add(here, 'equals-ignore-case match pattern must be a string');
        return undefined;
      }
      return (value) => typeof value === 'string' && equalsIgnoreCase(value, operand);
    }
    case 'wildcard': {
      if (typeof operand !== 'string') {
        problems.add(here, 'wildcard match pattern must be a string');
        return undefined;
      }
      const segments = parseWildcard(operand, here, problems);
      if (segments && wildcardComplexity([segments]) > wildcardComplexityMax) {
        problems.add(here, ruleTooComplex);
        return undefined;
      }
      return segments ? (value) => typeof value === 'string' && wildcardMatches(segments, value) : undefined;
    }
    case 'anything-but':
      return compileAnythingBut(operand, here, problems);
    case 'numeric':
      return compileNumeric(operand, here, problems);
    case 'exists': {
      if (typeof operand !== 'boolean') {
        problems.add(here, 'exists match pattern must be either true or false.');
        return undefined;
      }
      return operand ? 'exists' : 'absent';
    }
    case 'cidr': {
      if (typeof operand !== 'string') {
        problems.add(here, 'cidr match pattern must be a string');
        return undefined;
      }
      const range = parseCidr(operand);
      if (typeof range === 'string') {
        problems.add(here, range);
        return undefined;
      }
      return (value) => typeof value === 'string' && cidrContains(range, value);
    }
    default:
      problems.add(path, `Unrecognized match type ${operator}`);
      return undefined;
  }
}

function equalsIgnoreCase(a: string, b: string): boolean {
  // Both foldings, so that letters whose cases differ in length (ß, İ) still compare.
  return a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

function startsWithIgnoreCase(value: string, prefix: string): boolean {
  return value.toLowerCase().startsWith(prefix.toLowerCase());
}

function endsWithIgnoreCase(value: string, suffix: string): boolean {
  return value.toLowerCase().endsWith(suffix.toLowerCase());
}

/** `prefix` and `suffix`, each either a string or `{ "equals-ignore-case": string }`. */
function compileAffix(operator: 'prefix' | 'suffix', operand: unknown, path: string, problems: Problems): MatchExpression {
  if (typeof operand === 'string') {
    return operator === 'prefix'
      ? (value) => typeof value === 'string' && value.startsWith(operand)
      : (value) => typeof value === 'string' && value.endsWith(operand);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      problems.add(path, keys.length === 0 ? `${capitalized(operator)} expression name not found` : keys.length > 1 ? 'Only one key allowed in match expression' : `Unsupported ${operator} pattern: ${keys[0]}`);
      return undefined;
    }
    const text = operand['equals-ignore-case'];
    if (typeof text !== 'string') {
      problems.add(childPath(path, 'equals-ignore-case'), 'equals-ignore-case match pattern must be a string');
      return undefined;
    }
    return operator === 'prefix'
      ? (value) => typeof value === 'string' && startsWithIgnoreCase(value, text)
      : (value) => typeof value === 'string' && endsWithIgnoreCase(value, text);
  }
  problems.add(path, `${operator} match pattern must be a string`);
  return undefined;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * `anything-but`: a string, a number, a list of only strings or only numbers, or an object
 * applying it to `prefix`, `suffix`, `equals-ignore-case` or `wildcard` (string or list).
 */
function compileAnythingBut(operand: unknown, path: string, problems: Problems): MatchExpression {
  if (typeof operand === 'string') return (value) => value !== operand;
  if (typeof operand === 'number') {
    if (!checkNumber(operand, path, problems)) return undefined;
    return (value) => value !== operand;
  }
  if (Array.isArray(operand)) {
    const strings = operand.filter((item): item is string => typeof item === 'string');
    const numbers = operand.filter((item): item is number => typeof item === 'number');
    if (strings.length + numbers.length !== operand.length) {
      problems.add(path, 'Inside anything but list, start|null|boolean is not supported.');
      return undefined;
    }
    if ((strings.length > 0) === (numbers.length > 0)) {
      problems.add(path, 'Inside anything but list, either all values are number or string, mixed type is not supported');
      return undefined;
    }
    if (!numbers.every((number, index) => checkNumber(number, `${path}[${index}]`, problems))) return undefined;
    const excluded = new Set<LeafValue>(operand as LeafValue[]);
    return (value) => !excluded.has(value);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 0) {
      problems.add(path, 'Anything-But expression name not found');
      return undefined;
    }
    if (keys.length > 1) {
      problems.add(path, 'Only one key allowed in match expression');
      return undefined;
    }
    const inner = keys[0]!;
    const here = childPath(path, inner);
    const innerOperand = operand[inner];
    const texts = typeof innerOperand === 'string' ? [innerOperand] : Array.isArray(innerOperand) ? innerOperand : undefined;
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner)) {
      problems.add(here, `Unsupported anything-but pattern: ${inner}`);
      return undefined;
    }
    if (!texts || texts.length === 0 || !texts.every((text): text is string => typeof text === 'string')) {
      problems.add(here, `Value of anything-but/${inner} must be a string or a non-empty array of strings`);
      return undefined;
    }
    if ((inner === 'prefix' || inner === 'suffix') && texts.some((text) => text.length === 0)) {
      problems.add(here, 'Null prefix/suffix not allowed');
      return undefined;
    }
    let excludes: (value: string) => boolean;
    if (inner === 'prefix') excludes = (value) => texts.some((text) => value.startsWith(text));
    else if (inner === 'suffix') excludes = (value) => texts.some((text) => value.endsWith(text));
    else if (inner === 'equals-ignore-case') excludes = (value) => texts.some((text) => equalsIgnoreCase(value, text));
    else {
      const patterns = texts.map((text, index) => parseWildcard(text, texts.length > 1 ? `${here}[${index}]` : here, problems));
      if (patterns.some((segments) => !segments)) return undefined;
      if (wildcardComplexity(patterns as string[][]) > wildcardComplexityMax) {
        problems.add(here, ruleTooComplex);
        return undefined;
      }
      excludes = (value) => patterns.some((segments) => wildcardMatches(segments!, value));
    }
    // A value of another type is never excluded (event-ruler compares within a type).
    return (value) => typeof value !== 'string' || !excludes(value);
  }
  problems.add(path, 'Value of anything-but must be an array or single string/number value.');
  return undefined;
}

function checkNumber(value: number, path: string, problems: Problems): boolean {
  if (!Number.isFinite(value) || Math.abs(value) > numericLimitAbs) {
    problems.add(path, `Value must be between -${numericLimitAbs} and ${numericLimitAbs}, inclusive`);
    return false;
  }
  if (decimalsOf(value) > numericDecimalsMax) {
    problems.add(path, `Only values up to ${numericDecimalsMax} decimals are supported: ${value}`);
    return false;
  }
  return true;
}

/** Digits after the decimal point of a number's shortest spelling (`1e-7` has 7). */
function decimalsOf(value: number): number {
  const [mantissa = '', exponentText] = String(Math.abs(value)).split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  const exponent = exponentText ? Number(exponentText) : 0;
  return Math.max(0, fraction.length - exponent);
}

/** Number literals outside strings that are not zero as written but read as 0 (`1E-325`). */
function underflowingNumbers(text: string): string[] {
  const found: string[] = [];
  const token = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (const match of text.matchAll(token)) {
    const literal = match[0];
    if (literal.startsWith('"')) continue;
    const mantissa = literal.split(/[eE]/)[0]!;
    if (Number(literal) === 0 && /[1-9]/.test(mantissa)) found.push(literal);
  }
  return found;
}

const numericOperators = new Set(['=', '<', '<=', '>', '>=']);

/**
 * `numeric`: `["=", n]`, `["<" | "<=", n]`, or `[">" | ">=", n]` optionally followed by
 * `"<" | "<=", m` with n < m. Only JSON numbers in the event match.
 */
function compileNumeric(operand: unknown, path: string, problems: Problems): MatchExpression {
  if (!Array.isArray(operand)) {
    problems.add(path, 'Value of numeric must be an array.');
    return undefined;
  }
  const [operator, bound, secondOperator, secondBound, ...rest] = operand as unknown[];
  if (typeof operator !== 'string' || !numericOperators.has(operator)) {
    problems.add(path, typeof operator === 'string' ? `Unrecognized numeric range operator: ${operator}` : `Invalid member in numeric match: ${JSON.stringify(operator) ?? 'nothing'}`);
    return undefined;
  }
  if (typeof bound !== 'number') {
    problems.add(path, `Value of ${operator} must be numeric`);
    return undefined;
  }
  if (!checkNumber(bound, `${path}[1]`, problems)) return undefined;
  const hasSecond = operand.length > 2;
  if (hasSecond && !(operator === '>' || operator === '>=')) {
    problems.add(path, 'Too many elements in numeric expression');
    return undefined;
  }
  if (!hasSecond) {
    switch (operator) {
      case '=':
        return (value) => typeof value === 'number' && inNumericRange(value) && value === bound;
      case '<':
        return (value) => typeof value === 'number' && inNumericRange(value) && value < bound;
      case '<=':
        return (value) => typeof value === 'number' && inNumericRange(value) && value <= bound;
      case '>':
        return (value) => typeof value === 'number' && inNumericRange(value) && value > bound;
      default:
        return (value) => typeof value === 'number' && inNumericRange(value) && value >= bound;
    }
  }
  if (secondOperator !== '<' && secondOperator !== '<=') {
    problems.add(path, typeof secondOperator === 'string' ? `Bad numeric range operator: ${secondOperator}` : `Bad value in numeric range: ${JSON.stringify(secondOperator) ?? 'nothing'}`);
    return undefined;
  }
  if (typeof secondBound !== 'number') {
    problems.add(path, `Value of ${secondOperator} must be numeric`);
    return undefined;
  }
  if (!checkNumber(secondBound, `${path}[3]`, problems)) return undefined;
  if (rest.length > 0) {
    problems.add(path, 'Too many terms in numeric range expression');
    return undefined;
  }
  if (!(bound < secondBound)) {
    problems.add(path, 'Bottom must be less than top');
    return undefined;
  }
  const lowerInclusive = operator === '>=';
  const upperInclusive = secondOperator === '<=';
  return (value) =>
    typeof value === 'number' &&
    inNumericRange(value) &&
    (lowerInclusive ? value >= bound : value > bound) &&
    (upperInclusive ? value <= secondBound : value < secondBound);
}

/** Event numbers outside the comparable range never match a numeric operator. */
function inNumericRange(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= numericLimitAbs;
}

// ---------------------------------------------------------------------------------------
// Wildcards: `*` is any run of characters; `\*` and `\\` are literals; `**` is refused.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
// ---------------------------------------------------------------------------------------

/** The literal segments between unescaped `*`s; one segment means no wildcard. */
function parseWildcard(text: string, path: string, problems: Problems): string[] | undefined {
  const segments: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '*') {
      if (text[index + 1] === '*') {
        // EventBridge names the position of the second `*`.
        problems.add(path, `Consecutive wildcard characters at pos ${index + 1}`);
        return undefined;
      }
      segments.push(current);
      current = '';
    } else if (char === '\\') {
      const next = text[index + 1];
      if (next !== '*' && next !== '\\') {
        problems.add(path, `Invalid escape character at pos ${index}`);
        return undefined;
      }
      current += next;
      index++;
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

/**
 * EventBridge refuses a wildcard pattern a value could be matched against in too many
 * places at once: "Rule is too complex - try using fewer wildcard characters or fewer
 * repeating character sequences after a wildcard character". sluice measures that as the
 * most positions, over all of a field's wildcard patterns together, that any string can
 * leave active at once (a `*` counts once for itself and once for what follows it), and
 * refuses more than {@link wildcardComplexityMax}: `*:*:*:*:*:event-bus/*` (13) is refused,
 * `arn:aws:events:*:*:event-bus/*` (7) and `*Title*` (5) are not.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
 */
const ruleTooComplex = 'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';
const wildcardComplexityMax = 10;
/** Sets of positions explored at most; a pattern that reaches it is refused as too complex. */
const wildcardComplexityStatesMax = 5_000;

function wildcardComplexity(patterns: readonly (readonly string[])[]): number {
  // Tokens per pattern: literal characters, and `null` for each `*` (between segments).
  const tokenLists = patterns.map((segments) => segments.flatMap((segment, index) => (index === 0 ? [...segment] : [null, ...segment])));
  if (!tokenLists.some((tokens) => tokens.includes(null))) return 0;
  const alphabet = new Set<string>(['\u0000']);
  for (const tokens of tokenLists) for (const token of tokens) if (token !== null) alphabet.add(token);
  const key = (pattern: number, position: number) => pattern * 100_000 + position;
  const closure = (positions: Set<number>): Set<number> => {
    const pending = [...positions];
    while (pending.length > 0) {
      const state = pending.pop()!;
      const pattern = Math.floor(state / 100_000);
      const position = state % 100_000;
      if (tokenLists[pattern]![position] === null && !positions.has(state + 1)) {
        positions.add(state + 1);
        pending.push(state + 1);
      }
    }
    return positions;
  };
  const start = closure(new Set(tokenLists.map((_, pattern) => key(pattern, 0))));
  const seen = new Set<string>([[...start].sort().join(',')]);
  const pending = [start];
  let most = start.size;
  while (pending.length > 0) {
    const active = pending.pop()!;
    for (const char of alphabet) {
      const next = new Set<number>();
      for (const state of active) {
        const tokens = tokenLists[Math.floor(state / 100_000)]!;
        const token = tokens[state % 100_000];
        if (token === null) next.add(state);
        else if (token === char) next.add(state + 1);
      }
      if (next.size === 0) continue;
      closure(next);
      most = Math.max(most, next.size);
      if (most > wildcardComplexityMax) return most;
      const name = [...next].sort().join(',');
      if (seen.has(name)) continue;
      if (seen.size >= wildcardComplexityStatesMax) return wildcardComplexityMax + 1;
      seen.add(name);
      pending.push(next);
    }
  }
  return most;
}

/** Greedy leftmost matching of the segments: linear, no backtracking blow-up. */
function wildcardMatches(segments: readonly string[], value: string): boolean {
  if (segments.length === 1) return value === segments[0];
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let index = 1; index < segments.length - 1; index++) {
    const segment = segments[index]!;
    const found = value.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// IP addresses and CIDR blocks (IPv4 and IPv6)
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching
// ---------------------------------------------------------------------------------------

interface IpAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

interface CidrRange {
  readonly bits: 32 | 128;
  readonly network: bigint;
  readonly prefixLength: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head = '', tail] = text.split('::');
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index]!;
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const headGroups = parseGroups(head);
  const tailGroups = tail === undefined ? [] : parseGroups(tail);
  if (!headGroups || !tailGroups) return undefined;
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { bits: 128, value: v6 };
}

/**
 * `a.b.c.d/n` or `v6/n`, or the reason EventBridge gives for refusing it: exactly one `/`,
 * an integer mask below the address's width (/0–/31, /0–/127), a standard address.
 */
function parseCidr(text: string): CidrRange | string {
  const parts = text.split('/');
  if (parts.length !== 2) return "Malformed CIDR, one '/' required";
  const [addressText = '', lengthText = ''] = parts;
  if (!/^-?\d+$/.test(lengthText)) return 'Malformed CIDR, mask bits must be an integer';
  const prefixLength = Number(lengthText);
  if (prefixLength < 0) return 'Malformed CIDR, mask bits must not be negative';
  const address = parseIp(addressText);
  if (!address) return `Nonstandard IP address: ${addressText}`;
  if (address.bits === 32 && prefixLength > 31) return 'IPv4 mask bits must be < 32';
  if (address.bits === 128 && prefixLength > 127) return 'IPv6 mask bits must be < 128';
  const shift = BigInt(address.bits - prefixLength);
  return { bits: address.bits, network: address.value >> shift, prefixLength };
}

function cidrContains(range: CidrRange, text: string): boolean {
  const address = parseIp(text);
  if (!address || address.bits !== range.bits) return false;
  return address.value >> BigInt(range.bits - range.prefixLength) === range.network;
}
