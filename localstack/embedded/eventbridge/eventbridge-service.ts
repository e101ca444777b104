import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type EdgeService } from '../edge.ts';
import { compileEventPattern, InvalidEventPatternError, type EventPattern } from '../../../core/event-pattern.ts';
import { awsDefaults } from '../../../core/aws-defaults.ts';
import { monotonicClock, realClock, type NowClock } from '../../../core/clock.ts';
import { TokenBucket } from '../../../core/token-bucket.ts';
import { SluiceError } from '../../../core/sluice-error.ts';
import type { ServiceEvent } from '../service-links.ts';

/**
 * sluice's embedded EventBridge: the event-bus half of the EventBridge API, answered in the
 * AWS JSON 1.1 protocol (`X-Amz-Target: AWSEvents.<Operation>`) exactly as
 * `@aws-sdk/client-eventbridge` speaks it, behind the edge endpoint. No npm emulator
 * exists, and LocalStack enforces no PutEvents quota (see DESIGN.md, "Quotas are sluice's
 * own"), so sluice implements the service and its quotas itself.
 *
 * Matched events are handed to a `deliver` callback, once per (rule, target); the Lambda
 * runtime's asynchronous invoke plugs in there and owns retries.
 *
 * API reference: https://docs.aws.amazon.com/eventbridge/latest/APIReference/Welcome.html
 */

/** The target a matched event is handed to. */
export interface EventBridgeDeliveryTarget {
  readonly region: string;
  readonly busName: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly targetId: string;
  /** The target's ARN, e.g. the Lambda function's. */
  readonly arn: string;
  /**
   * What AWS would hand the target instead of the whole event, when the target has `Input`
   * (a constant) or `InputPath` (a part of the event). Absent otherwise.
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
   */
  readonly input?: unknown;
}

/**
 * The event as targets receive it: EventBridge's envelope around the entry's detail.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second, as AWS writes it (`2017-10-02T16:24:49Z`). */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** The PutEvents TPS quota: a token bucket per Region (AWS's scope) or per bus. */
export interface PutEventsQuotaOptions {
  /** Refill rate; default 10,000 (us-east-1). */
  requestsPerSecond?: number;
  /** Bucket size; default one second of `requestsPerSecond` (AWS documents no burst). */
  burstRequests?: number;
  /** Refuse calls over the quota (default true); when false they are only counted. */
  enforce?: boolean;
  /**
   * `region` (default): one bucket per account and Region, as AWS applies the quota.
   * `bus`: one bucket per event bus, for scenarios that model per-bus limits.
   */
  scope?: 'region' | 'bus';
  /**
   * What one token pays for: a `request` (default, as the quota is stated: "requests per
   * second") or each `entry` of it, for modelling the stricter reading.
   */
  unit?: 'request' | 'entry';
}

export interface EventBridgeServiceOptions {
  /**
   * Receives each matched event, once per (rule, target), right after PutEvents answers.
   * Keep it synchronous and quick (hand the event to a queue): delivery is
   * at-least-once and the callback owns retries. A throw is counted, not retried.
   */
  deliver(target: EventBridgeDeliveryTarget, event: EventBridgeEvent): void;
  /** Told about each `deliver` throw (counted in `stats().deliveryErrors` as well). */
  onDeliveryError?(error: unknown, target: EventBridgeDeliveryTarget, event: EventBridgeEvent): void;
  /** Clock of the TPS token bucket; default monotonic `performance.now()`. */
  clock?: NowClock;
  /** Wall clock for the events' `time` when an entry gives none; default `Date.now()`. */
  wallClock?: NowClock;
  /** Account in ARNs and in the envelope; default `000000000000`, as LocalStack uses. */
  accountId?: string;
  /** Region when a request carries no SigV4 credential scope; default `us-east-1`. */
  defaultRegion?: string;
  putEventsQuota?: PutEventsQuotaOptions;
  limits?: Partial<EventBridgeLimits>;
  /** Event ids; default random UUIDs. */
  newEventId?: () => string;
}

/** The non-rate limits in force (defaults: the `eventBridge…` rows of core/aws-defaults.ts). */
export interface EventBridgeLimits {
  putEventsEntriesPerCallMax: number;
  putEventsEntriesBytesMax: number;
  eventPatternCharsMax: number;
  rulesPerBusMax: number;
  targetsPerRuleMax: number;
  targetsPerCallMax: number;
  eventBusesMax: number;
}

/** Counters sluice reads for its source-side metrics. */
export interface EventBridgeStats {
  /** PutEvents calls answered 200. */
  putEventsCalls: number;
  /** Entries answered with an EventId. */
  entriesAccepted: number;
  /** Entries answered with an ErrorCode. */
  entriesFailed: number;
  /** Accepted entries for a bus that does not exist: AWS answers success and drops them. */
  entriesDroppedNoBus: number;
  /** Accepted entries that matched no enabled rule. */
  entriesUnmatched: number;
  /** PutEvents calls refused with ThrottlingException. */
  throttledCalls: number;
  /** Calls over the quota that were let through because `enforce` is false. */
  quotaExceededUnenforcedCalls: number;
  /** PutEvents calls refused whole (ValidationException and the like, throttles excluded). */
  invalidCalls: number;
  /** `deliver` calls made. */
  deliveries: number;
  /** `deliver` calls per rule ARN. */
  deliveriesByRule: Record<string, number>;
  /** `deliver` calls that threw. */
  deliveryErrors: number;
  /** Events AWS services put on a default bus (S3's object events). */
  serviceEvents: number;
}

/** One quota as the RunResult records it: what was applied, by whom, and why. */
export interface EventBridgeQuotaRecord {
  readonly name: 'eventbridge.put_events_tps';
  readonly requestsPerSecond: number;
  readonly burstRequests: number;
  readonly scope: 'region' | 'bus';
  readonly unit: 'request' | 'entry';
  readonly enforced: boolean;
  readonly enforcedBy: 'sluice-edge';
  readonly source: string;
}

/** The embedded EventBridge, as the edge endpoint mounts it. */
export interface EventBridgeService extends EdgeService {
  stats(): EventBridgeStats;
  quotas(): EventBridgeQuotaRecord[];
  /**
   * Replaces the PutEvents quota while running (a scenario's value, set when its pattern
   * is provisioned); options left out keep their current value. Buckets start full again.
   * @throws EventBridgeServiceConfigError listing every problem.
   */
  configurePutEventsQuota(quota: PutEventsQuotaOptions): void;
  /**
   * An event an AWS service (S3) puts on the Region's default bus: matched against its rules
   * and delivered like a PutEvents entry, but not a PutEvents call — no quota is charged and
   * the `aws.` sources reserved to AWS are allowed. Counted in `stats().serviceEvents`.
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html
   */
  putServiceEvent(event: ServiceEvent): void;
}

/** Stable codes of {@link EventBridgeServiceConfigError}. */
export const eventBridgeServiceErrorCodes = {
  invalidConfig: 'INVALID_EVENTBRIDGE_CONFIG',
} as const;

/** Options that cannot be used; `problems` lists every one found. */
export class EventBridgeServiceConfigError extends SluiceError<(typeof eventBridgeServiceErrorCodes)['invalidConfig']> {
  constructor(readonly problems: readonly string[]) {
    super(
      eventBridgeServiceErrorCodes.invalidConfig,
      `invalid embedded EventBridge options: ${problems.join('; ')}`,
      'Give the PutEvents rate and burst as positive numbers (a burst of at least one call, and of one full call when each entry is charged), every limit as a positive integer, and the account id as 12 digits.',
    );
  }
}

/**
 * An error answered to the client as AWS does: HTTP 400 with `__type` and `message`.
 * `code` is the AWS error type, which the SDK turns into the error's `name`.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
 */
export class EventBridgeApiError extends SluiceError {
  constructor(
    code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(code, message, apiErrorHints[code] ?? 'EventBridge would refuse this request too: fix it as the message says (https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html).');
  }
}

/** What to do about the errors a load test provokes on purpose: quotas. */
const apiErrorHints: Partial<Record<string, string>> = {
  ThrottlingException: "PutEvents is over its requests-per-second quota: send more slowly, or raise the pattern's putEventsRequestsPerSecond to model a raised quota.",
  LimitExceededException: 'An EventBridge quota on buses, rules or targets is reached: delete what is no longer used, or raise the limit in the options.',
};

/**
 * Starts the embedded EventBridge. Mount it on the edge endpoint; it answers the `events`
 * signing name.
 *
 * @example
 * const events = startEventBridgeService({ deliver: (target, event) => runtime.invokeAsync(target.arn, event) });
 * const edge = await startEdge([events]);
 * const client = new EventBridgeClient({ endpoint: edge.url, region: 'us-east-1', credentials });
 * await client.send(new PutEventsCommand({ Entries: [{ Source: 'orders', DetailType: 'created', Detail: '{}' }] }));
 * events.stats().entriesAccepted; // 1
 */
export function startEventBridgeService(options: EventBridgeServiceOptions): EventBridgeService {
  const settings = resolveSettings(options);
  const state = new EventBridgeState(options, settings);
  return {
    signingNames: ['events'],
    handle: (request, response) => state.handle(request, response),
    stats: () => state.snapshot(),
    quotas: () => [
      {
        name: 'eventbridge.put_events_tps',
        requestsPerSecond: settings.requestsPerSecond,
        burstRequests: settings.burstRequests,
        scope: settings.scope,
        unit: settings.unit,
        enforced: settings.enforce,
        enforcedBy: 'sluice-edge',
        source: awsDefaults.eventBridgePutEventsRequestsPerSecond.source,
      },
    ],
    configurePutEventsQuota: (quota) => state.configurePutEventsQuota(quota),
    putServiceEvent: (event) => state.putServiceEvent(event),
    close: async () => {},
  };
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

interface Settings extends EventBridgeLimits {
  requestsPerSecond: number;
  burstRequests: number;
  enforce: boolean;
  scope: 'region' | 'bus';
  unit: 'request' | 'entry';
  accountId: string;
  defaultRegion: string;
}

function resolveSettings(options: EventBridgeServiceOptions): Settings {
  const quota = options.putEventsQuota ?? {};
  const requestsPerSecond = quota.requestsPerSecond ?? awsDefaults.eventBridgePutEventsRequestsPerSecond.value;
  const limits = options.limits ?? {};
  const settings: Settings = {
    requestsPerSecond,
    burstRequests: quota.burstRequests ?? requestsPerSecond,
    enforce: quota.enforce ?? true,
    scope: quota.scope ?? 'region',
    unit: quota.unit ?? 'request',
    accountId: options.accountId ?? '000000000000',
    defaultRegion: options.defaultRegion ?? 'us-east-1',
    putEventsEntriesPerCallMax: limits.putEventsEntriesPerCallMax ?? awsDefaults.eventBridgePutEventsEntriesMax.value,
    putEventsEntriesBytesMax: limits.putEventsEntriesBytesMax ?? awsDefaults.eventBridgePutEventsEntriesBytesMax.value,
    eventPatternCharsMax: limits.eventPatternCharsMax ?? awsDefaults.eventBridgeEventPatternCharsMax.value,
    rulesPerBusMax: limits.rulesPerBusMax ?? awsDefaults.eventBridgeRulesPerBusMax.value,
    targetsPerRuleMax: limits.targetsPerRuleMax ?? awsDefaults.eventBridgeTargetsPerRuleMax.value,
    targetsPerCallMax: limits.targetsPerCallMax ?? awsDefaults.eventBridgeTargetsPerCallMax.value,
    eventBusesMax: limits.eventBusesMax ?? awsDefaults.eventBridgeEventBusesPerAccountMax.value,
  };
  const problems: string[] = [];
  for (const key of ['requestsPerSecond', 'burstRequests'] as const) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) problems.push(`putEventsQuota.${key} must be a positive finite number, got ${String(value)}`);
  }
  if (settings.burstRequests < 1) problems.push(`putEventsQuota.burstRequests must be at least 1 (one call), got ${settings.burstRequests}`);
  for (const key of ['putEventsEntriesPerCallMax', 'putEventsEntriesBytesMax', 'eventPatternCharsMax', 'rulesPerBusMax', 'targetsPerRuleMax', 'targetsPerCallMax', 'eventBusesMax'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1) problems.push(`limits.${key} must be a positive integer, got ${String(value)}`);
  }
  if (settings.scope !== 'region' && settings.scope !== 'bus') problems.push(`putEventsQuota.scope must be "region" or "bus", got ${String(settings.scope)}`);
  if (settings.unit !== 'request' && settings.unit !== 'entry') problems.push(`putEventsQuota.unit must be "request" or "entry", got ${String(settings.unit)}`);
  if (settings.unit === 'entry' && settings.burstRequests < settings.putEventsEntriesPerCallMax) {
    problems.push(`putEventsQuota.burstRequests must be at least ${settings.putEventsEntriesPerCallMax} when the unit is "entry" (one full call), got ${settings.burstRequests}`);
  }
  if (!/^\d{12}$/.test(settings.accountId)) problems.push(`accountId must be 12 digits, got "${settings.accountId}"`);
  if (problems.length > 0) throw new EventBridgeServiceConfigError(problems);
  return settings;
}

// ---------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------

interface StoredTarget {
  readonly id: string;
  readonly arn: string;
  readonly input?: unknown;
  readonly inputPath?: readonly PathStep[];
  /** The target as PutTargets gave it, answered back by ListTargetsByRule. */
  readonly asGiven: Record<string, unknown>;
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  eventPatternText?: string;
  pattern?: EventPattern;
  scheduleExpression?: string;
  state: string;
  description?: string;
  roleArn?: string;
  readonly targets: Map<string, StoredTarget>;
}

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly createdAtMs: number;
  readonly rules: Map<string, Rule>;
}

const namePattern = /^[.\-_A-Za-z0-9]+$/;
const ruleStates = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

/** A rule with this state receives events; `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` is enabled too. */
function isEnabled(rule: Rule): boolean {
  return rule.state !== 'DISABLED';
}

type Handler = (body: Record<string, unknown>, region: string) => { result: Record<string, unknown>; after?: () => void };

class EventBridgeState {
  private readonly busesByRegion = new Map<string, Map<string, Bus>>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly clock: NowClock;
  private readonly wallClock: NowClock;
  private readonly newEventId: () => string;
  private readonly counters: Omit<EventBridgeStats, 'deliveriesByRule'> = {
    putEventsCalls: 0,
    entriesAccepted: 0,
    entriesFailed: 0,
    entriesDroppedNoBus: 0,
    entriesUnmatched: 0,
    throttledCalls: 0,
    quotaExceededUnenforcedCalls: 0,
    invalidCalls: 0,
    deliveries: 0,
    deliveryErrors: 0,
    serviceEvents: 0,
  };
  private readonly deliveriesByRule = new Map<string, number>();
  private readonly handlers: Record<string, Handler>;

  constructor(
    private readonly options: EventBridgeServiceOptions,
    private readonly settings: Settings,
  ) {
    this.clock = options.clock ?? monotonicClock;
    this.wallClock = options.wallClock ?? realClock;
    this.newEventId = options.newEventId ?? randomUUID;
    this.handlers = {
      CreateEventBus: (body, region) => ({ result: this.createEventBus(body, region) }),
      DeleteEventBus: (body, region) => ({ result: this.deleteEventBus(body, region) }),
      DescribeEventBus: (body, region) => ({ result: this.describeEventBus(body, region) }),
      ListEventBuses: (body, region) => ({ result: this.listEventBuses(body, region) }),
      PutRule: (body, region) => ({ result: this.putRule(body, region) }),
      DeleteRule: (body, region) => ({ result: this.deleteRule(body, region) }),
      DescribeRule: (body, region) => ({ result: this.describeRule(body, region) }),
      EnableRule: (body, region) => ({ result: this.setRuleState(body, region, 'ENABLED') }),
      DisableRule: (body, region) => ({ result: this.setRuleState(body, region, 'DISABLED') }),
      ListRules: (body, region) => ({ result: this.listRules(body, region) }),
      PutTargets: (body, region) => ({ result: this.putTargets(body, region) }),
      RemoveTargets: (body, region) => ({ result: this.removeTargets(body, region) }),
      ListTargetsByRule: (body, region) => ({ result: this.listTargetsByRule(body, region) }),
      TestEventPattern: (body) => ({ result: this.testEventPattern(body) }),
      PutEvents: (body, region) => this.putEvents(body, region),
    };
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : undefined;
    const handler = operation !== undefined && Object.hasOwn(this.handlers, operation) ? this.handlers[operation] : undefined;
    let body: Buffer;
    try {
      // Well above the 256 KB PutEvents limit, so an oversized call still gets its ValidationException.
      body = await readBody(request, 4 * this.settings.putEventsEntriesBytesMax + 1_048_576);
    } catch (error) {
      sendError(response, new EventBridgeApiError('ValidationException', `Request is too large: ${(error as Error).message}`));
      return;
    }
    if (request.method !== 'POST' || !handler) {
      sendError(response, new EventBridgeApiError('UnknownOperationException', `sluice's embedded EventBridge does not implement "${target || `${request.method} ${request.url}`}"`));
      return;
    }
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      sendError(response, new EventBridgeApiError('SerializationException', 'Request body is not valid JSON'));
      return;
    }
    if (!isRecord(parsed)) {
      sendError(response, new EventBridgeApiError('SerializationException', 'Request body must be a JSON object'));
      return;
    }
    const region = regionOfRequest(request) ?? this.settings.defaultRegion;
    let outcome: ReturnType<Handler>;
    try {
      outcome = handler(parsed, region);
    } catch (error) {
      if (error instanceof EventBridgeApiError) {
        if (operation === 'PutEvents' && error.code !== 'ThrottlingException') this.counters.invalidCalls++;
        sendError(response, error);
        return;
      }
      throw error;
    }
    sendJson(response, 200, outcome.result);
    outcome.after?.();
  }

  configurePutEventsQuota(quota: PutEventsQuotaOptions): void {
    const current: PutEventsQuotaOptions = {
      requestsPerSecond: this.settings.requestsPerSecond,
      burstRequests: quota.requestsPerSecond !== undefined && quota.burstRequests === undefined ? quota.requestsPerSecond : this.settings.burstRequests,
      enforce: this.settings.enforce,
      scope: this.settings.scope,
      unit: this.settings.unit,
    };
    const next = resolveSettings({ ...this.options, putEventsQuota: { ...current, ...withoutUndefined({ ...quota }) }, limits: this.settings });
    this.settings.requestsPerSecond = next.requestsPerSecond;
    this.settings.burstRequests = next.burstRequests;
    this.settings.enforce = next.enforce;
    this.settings.scope = next.scope;
    this.settings.unit = next.unit;
    this.buckets.clear();
  }

  putServiceEvent(serviceEvent: ServiceEvent): void {
    this.counters.serviceEvents++;
    const bus = this.busesOf(serviceEvent.region).get('default')!;
    const event: EventBridgeEvent = {
      version: '0',
      id: this.newEventId(),
      'detail-type': serviceEvent.detailType,
      source: serviceEvent.source,
      account: this.settings.accountId,
      time: new Date(serviceEvent.timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: serviceEvent.region,
      resources: serviceEvent.resources,
      detail: serviceEvent.detail,
    };
    let matched = false;
    for (const rule of bus.rules.values()) {
      if (!isEnabled(rule) || !rule.pattern || !rule.pattern.matches(event)) continue;
      matched = true;
      for (const target of rule.targets.values()) this.deliver(deliveryTargetOf(serviceEvent.region, rule, target, event), event, rule.arn);
    }
    if (!matched) this.counters.entriesUnmatched++;
  }

  snapshot(): EventBridgeStats {
    return { ...this.counters, deliveriesByRule: Object.fromEntries(this.deliveriesByRule) };
  }

  // -------------------------------------------------------------------------------------
  // Buses
  // -------------------------------------------------------------------------------------

  private busesOf(region: string): Map<string, Bus> {
    let buses = this.busesByRegion.get(region);
    if (!buses) {
      buses = new Map();
      // Every account has a default bus in every Region.
      buses.set('default', this.newBus('default', region));
      this.busesByRegion.set(region, buses);
    }
    return buses;
  }

  private newBus(name: string, region: string, description?: string): Bus {
    return {
      name,
      arn: `arn:aws:events:${region}:${this.settings.accountId}:event-bus/${name}`,
      description,
      createdAtMs: this.wallClock.nowMs(),
      rules: new Map(),
    };
  }

  /** The bus named by `EventBusName` (a name or an ARN), default when absent. */
  private busOf(body: Record<string, unknown>, key: string, region: string): Bus {
    const name = busNameOf(optionalString(body, key));
    const bus = this.busesOf(region).get(name);
    if (!bus) throw new EventBridgeApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  private createEventBus(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const name = requiredString(body, 'Name', 256);
    if (!namePattern.test(name)) throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
    const buses = this.busesOf(region);
    if (buses.has(name)) throw new EventBridgeApiError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    if (buses.size >= this.settings.eventBusesMax) throw new EventBridgeApiError('LimitExceededException', `The requested resource exceeds the maximum number allowed (${this.settings.eventBusesMax} event buses).`);
    const bus = this.newBus(name, region, optionalString(body, 'Description'));
    buses.set(name, bus);
    return withoutUndefined({ EventBusArn: bus.arn, Description: bus.description });
  }

  private deleteEventBus(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const name = busNameOf(requiredString(body, 'Name'));
    if (name === 'default') throw validation('Cannot delete event bus default.');
    const buses = this.busesOf(region);
    const bus = buses.get(name);
    // Deleting a bus that does not exist succeeds, as on AWS.
    if (!bus) return {};
    if (bus.rules.size > 0) throw validation("EventBus can't be deleted since it has rules.");
    buses.delete(name);
    return {};
  }

  private describeEventBus(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const bus = this.busOf(body, 'Name', region);
    return withoutUndefined({
      Name: bus.name,
      Arn: bus.arn,
      Description: bus.description,
      CreationTime: bus.createdAtMs / 1000,
      LastModifiedTime: bus.createdAtMs / 1000,
    });
  }

  private listEventBuses(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const prefix = optionalString(body, 'NamePrefix') ?? '';
    const buses = [...this.busesOf(region).values()].filter((bus) => bus.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(buses, body);
    return withoutUndefined({
      EventBuses: page.map((bus) => withoutUndefined({ Name: bus.name, Arn: bus.arn, Description: bus.description, CreationTime: bus.createdAtMs / 1000, LastModifiedTime: bus.createdAtMs / 1000 })),
      NextToken: nextToken,
    });
  }

  // -------------------------------------------------------------------------------------
  // Rules
  // -------------------------------------------------------------------------------------

  private ruleOf(body: Record<string, unknown>, nameKey: string, region: string): { bus: Bus; rule: Rule } {
    const bus = this.busOf(body, 'EventBusName', region);
    const name = requiredString(body, nameKey, 64);
    const rule = bus.rules.get(name);
    if (!rule) throw new EventBridgeApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus.name}.`);
    return { bus, rule };
  }

  private putRule(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const name = requiredString(body, 'Name', 64);
    if (!namePattern.test(name)) throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
    const bus = this.busOf(body, 'EventBusName', region);
    const eventPatternText = optionalString(body, 'EventPattern');
    const scheduleExpression = optionalString(body, 'ScheduleExpression');
    const state = optionalString(body, 'State') ?? 'ENABLED';
    if (eventPatternText === undefined && scheduleExpression === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (!ruleStates.has(state)) throw validation(`Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${[...ruleStates].join(', ')}]`);
    if (scheduleExpression !== undefined) {
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
      if (!/^(rate|cron)\(.+\)$/.test(scheduleExpression)) throw validation('Parameter ScheduleExpression is not valid.');
      if (bus.name !== 'default') throw validation('ScheduleExpression is supported only on the default event bus.');
    }
    let pattern: EventPattern | undefined;
    if (eventPatternText !== undefined) {
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (event pattern size)
      if (eventPatternText.length > this.settings.eventPatternCharsMax) {
        throw new EventBridgeApiError('InvalidEventPatternException', `Event pattern is not valid. Reason: pattern is ${eventPatternText.length} characters, over the ${this.settings.eventPatternCharsMax}-character quota`);
      }
      pattern = compilePatternOrThrow(eventPatternText);
    }
    const existing = bus.rules.get(name);
    if (!existing && bus.rules.size >= this.settings.rulesPerBusMax) {
      throw new EventBridgeApiError('LimitExceededException', `The requested resource exceeds the maximum number allowed (${this.settings.rulesPerBusMax} rules per event bus).`);
    }
    const arn = bus.name === 'default' ? `arn:aws:events:${region}:${this.settings.accountId}:rule/${name}` : `arn:aws:events:${region}:${this.settings.accountId}:rule/${bus.name}/${name}`;
    // PutRule replaces the rule: omitted arguments are not kept (API_PutRule), targets are.
    const rule: Rule = existing ?? { name, arn, busName: bus.name, state, targets: new Map() };
    rule.eventPatternText = eventPatternText;
    rule.pattern = pattern;
    rule.scheduleExpression = scheduleExpression;
    rule.state = state;
    rule.description = optionalString(body, 'Description');
    rule.roleArn = optionalString(body, 'RoleArn');
    bus.rules.set(name, rule);
    return { RuleArn: rule.arn };
  }

  private deleteRule(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const bus = this.busOf(body, 'EventBusName', region);
    const name = requiredString(body, 'Name', 64);
    const rule = bus.rules.get(name);
    // Deleting a rule that does not exist succeeds, as on AWS.
    if (!rule) return {};
    if (rule.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
    bus.rules.delete(name);
    return {};
  }

  private describeRule(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const { rule } = this.ruleOf(body, 'Name', region);
    return { ...describeRuleFields(rule), CreatedBy: this.settings.accountId };
  }

  private setRuleState(body: Record<string, unknown>, region: string, state: 'ENABLED' | 'DISABLED'): Record<string, unknown> {
    const { rule } = this.ruleOf(body, 'Name', region);
    rule.state = state;
    return {};
  }

  private listRules(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const bus = this.busOf(body, 'EventBusName', region);
    const prefix = optionalString(body, 'NamePrefix') ?? '';
    const rules = [...bus.rules.values()].filter((rule) => rule.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(rules, body);
    return withoutUndefined({ Rules: page.map(describeRuleFields), NextToken: nextToken });
  }

  /**
   * The event must be a JSON object in EventBridge's envelope with its metadata fields, or
   * the call fails with "Parameter Event is not valid.". The API reference lists `resources`
   * among them as well; it is checked for its type when present, not required.
   * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html
   */
  private testEventPattern(body: Record<string, unknown>): Record<string, unknown> {
    const eventText = requiredString(body, 'Event', 4096 * 64);
    const pattern = compilePatternOrThrow(requiredString(body, 'EventPattern', this.settings.eventPatternCharsMax));
    let event: unknown;
    try {
      event = JSON.parse(eventText);
    } catch {
      throw validation('Parameter Event is not valid.');
    }
    if (!isRecord(event)) throw validation('Parameter Event is not valid.');
    for (const field of testEventRequiredFields) if (typeof event[field] !== 'string') throw validation('Parameter Event is not valid.');
    if (event['resources'] !== undefined && !Array.isArray(event['resources'])) throw validation('Parameter Event is not valid.');
    return { Result: pattern.matches(event) };
  }

  // -------------------------------------------------------------------------------------
  // Targets
  // -------------------------------------------------------------------------------------

  private putTargets(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const { rule } = this.ruleOf(body, 'Rule', region);
    const targets = body['Targets'];
    if (!Array.isArray(targets) || targets.length === 0) throw validation("Value at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (targets.length > this.settings.targetsPerCallMax) {
      throw validation(`Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to ${this.settings.targetsPerCallMax}`);
    }
    const accepted: StoredTarget[] = [];
    const failedEntries: Array<Record<string, unknown>> = [];
    for (const target of targets) {
      if (!isRecord(target)) throw validation('Each target must be an object.');
      const id = requiredString(target, 'Id', 64);
      const arn = requiredString(target, 'Arn', 1600);
      if (!namePattern.test(id)) throw validation(`Value '${id}' at 'targets.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
      const inputText = optionalString(target, 'Input');
      const inputPathText = optionalString(target, 'InputPath');
      const transformer = target['InputTransformer'];
      const given = [inputText, inputPathText, transformer].filter((value) => value !== undefined && value !== null).length;
      if (given > 1) throw validation('Only one of Input, InputPath, or InputTransformer must be provided.');
      if (transformer !== undefined && transformer !== null) {
        // Not emulated: answering success and delivering the untransformed event would be wrong silently.
        failedEntries.push({ TargetId: id, ErrorCode: 'ValidationException', ErrorMessage: "InputTransformer is not supported by sluice's embedded EventBridge; use Input or InputPath" });
        continue;
      }
      let input: unknown;
      if (inputText !== undefined) {
        try {
          input = JSON.parse(inputText);
        } catch {
          throw validation(`Input for target ${id} is not valid JSON.`);
        }
      }
      const inputPath = inputPathText === undefined ? undefined : parseJsonPath(inputPathText);
      if (inputPathText !== undefined && !inputPath) throw validation(`InputPath for target ${id} is not a valid JsonPath: ${inputPathText}`);
      accepted.push({ id, arn, input, inputPath, asGiven: { ...target } });
    }
    const newIds = new Set(accepted.map((target) => target.id).filter((id) => !rule.targets.has(id)));
    if (rule.targets.size + newIds.size > this.settings.targetsPerRuleMax) {
      throw new EventBridgeApiError('LimitExceededException', `The requested resource exceeds the maximum number allowed (${this.settings.targetsPerRuleMax} targets per rule).`);
    }
    for (const target of accepted) rule.targets.set(target.id, target);
    return { FailedEntryCount: failedEntries.length, FailedEntries: failedEntries };
  }

  private removeTargets(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const { rule } = this.ruleOf(body, 'Rule', region);
    const ids = body['Ids'];
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id): id is string => typeof id === 'string')) {
      throw validation("Value at 'ids' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }
    if (ids.length > this.settings.targetsPerCallMax) throw validation(`Value at 'ids' failed to satisfy constraint: Member must have length less than or equal to ${this.settings.targetsPerCallMax}`);
    for (const id of ids) rule.targets.delete(id);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  private listTargetsByRule(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const { rule } = this.ruleOf(body, 'Rule', region);
    const { page, nextToken } = paginate([...rule.targets.values()], body);
    return withoutUndefined({ Targets: page.map((target) => target.asGiven), NextToken: nextToken });
  }

  // -------------------------------------------------------------------------------------
  // PutEvents
  // -------------------------------------------------------------------------------------

  private putEvents(body: Record<string, unknown>, region: string): { result: Record<string, unknown>; after?: () => void } {
    const entries = body['Entries'];
    // The quota is checked first, as AWS's front door does: a throttled call is refused
    // whole with ThrottlingException (HTTP 400), which the SDK retries with backoff.
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
    this.admitPutEvents(region, Array.isArray(entries) ? entries : []);

    // Request constraints are answered as AWS's request validation words them:
    // "1 validation error detected: Value '…' at 'entries' failed to satisfy constraint: …".
    if (entries === undefined || entries === null) throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    if (!Array.isArray(entries) || entries.length === 0) {
      throw validation(`1 validation error detected: Value '${renderedValue(entries)}' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    if (entries.length > this.settings.putEventsEntriesPerCallMax) {
      throw validation(`1 validation error detected: Value '${renderedValue(entries)}' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${this.settings.putEventsEntriesPerCallMax}`);
    }
    if (!entries.every(isRecord)) throw validation('Each entry must be an object.');
    const totalBytes = entries.reduce((sum, entry) => sum + putEventsEntrySizeBytes(entry), 0);
    if (totalBytes > this.settings.putEventsEntriesBytesMax) {
      throw validation(`Total size of the entries in the request is over the limit (${totalBytes} bytes, limit ${this.settings.putEventsEntriesBytesMax}).`);
    }

    const resultEntries: Array<Record<string, unknown>> = [];
    const deliveries: Array<{ target: EventBridgeDeliveryTarget; event: EventBridgeEvent; ruleArn: string }> = [];
    let failed = 0;
    for (const entry of entries) {
      const outcome = this.acceptEntry(entry, region);
      if ('errorCode' in outcome) {
        failed++;
        resultEntries.push({ ErrorCode: outcome.errorCode, ErrorMessage: outcome.errorMessage });
        continue;
      }
      resultEntries.push({ EventId: outcome.event.id });
      if (!outcome.bus) {
        this.counters.entriesDroppedNoBus++;
        continue;
      }
      let matched = false;
      for (const rule of outcome.bus.rules.values()) {
        if (!isEnabled(rule) || !rule.pattern || !rule.pattern.matches(outcome.event)) continue;
        matched = true;
        for (const target of rule.targets.values()) {
          deliveries.push({ target: deliveryTargetOf(region, rule, target, outcome.event), event: outcome.event, ruleArn: rule.arn });
        }
      }
      if (!matched) this.counters.entriesUnmatched++;
    }
    this.counters.putEventsCalls++;
    this.counters.entriesAccepted += entries.length - failed;
    this.counters.entriesFailed += failed;
    return {
      result: { FailedEntryCount: failed, Entries: resultEntries },
      // Delivery follows the answer, as on AWS where targets are invoked asynchronously.
      after: () => {
        for (const delivery of deliveries) this.deliver(delivery.target, delivery.event, delivery.ruleArn);
      },
    };
  }

  private admitPutEvents(region: string, entries: unknown[]): void {
    // Tokens each bucket is charged: one per call, or one per entry (at most a full call's
    // worth, so an oversized call still reaches its ValidationException).
    const charged = entries.slice(0, this.settings.putEventsEntriesPerCallMax);
    const tokensByKey = new Map<string, number>();
    if (this.settings.scope === 'region') {
      tokensByKey.set(region, this.settings.unit === 'entry' ? Math.max(1, charged.length) : 1);
    } else {
      for (const entry of charged) {
        const key = `${region}/${busNameOf(isRecord(entry) ? optionalStringLoose(entry, 'EventBusName') : undefined)}`;
        tokensByKey.set(key, this.settings.unit === 'entry' ? (tokensByKey.get(key) ?? 0) + 1 : 1);
      }
      if (tokensByKey.size === 0) tokensByKey.set(`${region}/default`, 1);
    }
    const charges = [...tokensByKey].map(([key, tokens]) => {
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = new TokenBucket({ ratePerSecond: this.settings.requestsPerSecond, burst: this.settings.burstRequests, clock: this.clock });
        this.buckets.set(key, bucket);
      }
      return { bucket, tokens };
    });
    if (charges.every(({ bucket, tokens }) => bucket.has(tokens))) {
      for (const { bucket, tokens } of charges) bucket.forceTake(tokens);
      return;
    }
    if (!this.settings.enforce) {
      this.counters.quotaExceededUnenforcedCalls++;
      return;
    }
    this.counters.throttledCalls++;
    throw new EventBridgeApiError('ThrottlingException', 'Rate exceeded');
  }

  /** Checks one entry as PutEvents does and builds its event; per-entry errors do not fail the call. */
  private acceptEntry(entry: Record<string, unknown>, region: string): { event: EventBridgeEvent; bus?: Bus } | { errorCode: string; errorMessage: string } {
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
    const source = optionalStringLoose(entry, 'Source');
    const detailType = optionalStringLoose(entry, 'DetailType');
    const detailText = optionalStringLoose(entry, 'Detail');
    if (!source) return invalidArgument('Source');
    if (!detailType) return invalidArgument('DetailType');
    if (detailText === undefined) return invalidArgument('Detail');
    // Sources starting with "aws." are reserved for AWS services.
    if (source.startsWith('aws.')) return { errorCode: 'NotAuthorizedForSourceException', errorMessage: 'Not authorized for the source.' };
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      return { errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' };
    }
    if (!isRecord(detail)) return { errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' };
    const resources = entry['Resources'];
    if (resources !== undefined && resources !== null && (!Array.isArray(resources) || !resources.every((resource) => typeof resource === 'string'))) {
      return { errorCode: 'InvalidArgument', errorMessage: 'Parameter Resources is not valid. Reason: Resources must be a list of strings.' };
    }
    const timeMs = timeOfEntry(entry['Time']) ?? this.wallClock.nowMs();
    if (!Number.isFinite(timeMs)) return { errorCode: 'InvalidArgument', errorMessage: 'Parameter Time is not valid.' };
    const busName = busNameOf(optionalStringLoose(entry, 'EventBusName'));
    const event: EventBridgeEvent = {
      version: '0',
      id: this.newEventId(),
      'detail-type': detailType,
      source,
      account: this.settings.accountId,
      time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: Array.isArray(resources) ? (resources as string[]) : [],
      detail,
    };
    return { event, bus: this.busesOf(region).get(busName) };
  }

  private deliver(target: EventBridgeDeliveryTarget, event: EventBridgeEvent, ruleArn: string): void {
    this.counters.deliveries++;
    this.deliveriesByRule.set(ruleArn, (this.deliveriesByRule.get(ruleArn) ?? 0) + 1);
    try {
      this.options.deliver(target, event);
    } catch (error) {
      this.counters.deliveryErrors++;
      try {
        this.options.onDeliveryError?.(error, target, event);
      } catch {
        // A failing error hook must not stop the other deliveries.
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/**
 * The size of one PutEvents entry as EventBridge counts it against the 256 KB limit:
 * 14 bytes for `Time` when given, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail`
 * and each of `Resources`.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 *
 * @example
 * putEventsEntrySizeBytes({ Source: 'orders', DetailType: 'created', Detail: '{"id":1}' }); // 21
 */
export function putEventsEntrySizeBytes(entry: Record<string, unknown>): number {
  let size = entry['Time'] !== undefined && entry['Time'] !== null ? 14 : 0;
  for (const key of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[key];
    if (typeof value === 'string') size += Buffer.byteLength(value, 'utf8');
  }
  const resources = entry['Resources'];
  if (Array.isArray(resources)) for (const resource of resources) if (typeof resource === 'string') size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** The envelope fields TestEventPattern insists on, each a string. */
const testEventRequiredFields = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/**
 * A request value as AWS's validation message shows it: a list in brackets, each entry's
 * members as `Name=value`.
 */
function renderedValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderedValue).join(', ')}]`;
  if (isRecord(value)) return `{${Object.entries(value).map(([key, member]) => `${key}=${typeof member === 'string' ? member : renderedValue(member)}`).join(', ')}}`;
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validation(message: string): EventBridgeApiError {
  return new EventBridgeApiError('ValidationException', message);
}

function requiredString(body: Record<string, unknown>, key: string, lengthMax = 2048): string {
  const value = body[key];
  if (value === undefined || value === null) throw validation(`1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`);
  if (typeof value !== 'string') throw new EventBridgeApiError('SerializationException', `${key} must be a string`);
  if (value.length === 0 || value.length > lengthMax) {
    throw validation(`1 validation error detected: Value '${value.slice(0, 64)}' at '${lowerFirst(key)}' failed to satisfy constraint: Member must have length between 1 and ${lengthMax}`);
  }
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new EventBridgeApiError('SerializationException', `${key} must be a string`);
  return value;
}

/** For PutEvents entries, where a wrong type fails the entry, not the call. */
function optionalStringLoose(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function invalidArgument(parameter: string): { errorCode: string; errorMessage: string } {
  return { errorCode: 'InvalidArgument', errorMessage: `Parameter ${parameter} is not valid. Reason: ${parameter} is a required argument.` };
}

/** `EventBusName` may be a name or an ARN (`arn:aws:events:…:event-bus/NAME`). */
function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const arn = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1]! : nameOrArn;
}

/** The SDK sends `Time` as epoch seconds (AWS JSON 1.1 timestamps); an ISO string is accepted too. */
function timeOfEntry(time: unknown): number | undefined {
  if (typeof time === 'number') return time * 1000;
  if (typeof time === 'string') return Date.parse(time);
  return undefined;
}

function compilePatternOrThrow(text: string): EventPattern {
  try {
    return compileEventPattern(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw new EventBridgeApiError('InvalidEventPatternException', error.message);
    throw error;
  }
}

function describeRuleFields(rule: Rule): Record<string, unknown> {
  return withoutUndefined({
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPatternText,
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    Description: rule.description,
    RoleArn: rule.roleArn,
    EventBusName: rule.busName,
  });
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** `NextToken` is the index of the next item; `Limit` is 1–100 (default 100). */
function paginate<T>(items: readonly T[], body: Record<string, unknown>): { page: T[]; nextToken?: string } {
  const limitValue = body['Limit'];
  const limit = limitValue === undefined || limitValue === null ? awsDefaults.eventBridgeListResultsPerPageMax.value : Number(limitValue);
  if (!Number.isInteger(limit) || limit < 1 || limit > awsDefaults.eventBridgeListResultsPerPageMax.value) {
    throw validation(`Value '${String(limitValue)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${awsDefaults.eventBridgeListResultsPerPageMax.value}`);
  }
  const token = optionalString(body, 'NextToken');
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw validation('The NextToken is not valid.');
  const page = items.slice(start, start + limit);
  const next = start + limit;
  return { page, nextToken: next < items.length ? Buffer.from(String(next), 'utf8').toString('base64url') : undefined };
}

/** The Region of a SigV4-signed request (`Credential=AKID/DATE/REGION/events/aws4_request`). */
function regionOfRequest(request: IncomingMessage): string | undefined {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(request.headers.authorization ?? '');
  return scope?.[1];
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: EventBridgeApiError): void {
  sendJson(response, error.statusCode, { __type: error.code, message: error.message }, { 'x-amzn-errortype': error.code });
}

// ---------------------------------------------------------------------------------------
// InputPath: the JsonPath subset targets use (`$`, `$.detail`, `$.detail.items[0]`, `$['a-b']`).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
// ---------------------------------------------------------------------------------------

type PathStep = string | number;

function parseJsonPath(path: string): PathStep[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: PathStep[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const dotted = /^\.([A-Za-z_$][\w$-]*)/.exec(rest);
    const indexed = /^\[(\d+)\]/.exec(rest);
    const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
    if (dotted) steps.push(dotted[1]!);
    else if (indexed) steps.push(Number(indexed[1]));
    else if (quoted) steps.push((quoted[1] ?? quoted[2])!);
    else return undefined;
    rest = rest.slice((dotted ?? indexed ?? quoted)![0].length);
  }
  return steps;
}

function selectPath(value: unknown, steps: readonly PathStep[]): unknown {
  let current: unknown = value;
  for (const step of steps) {
    if (typeof step === 'number') current = Array.isArray(current) ? current[step] : undefined;
    else current = isRecord(current) && Object.hasOwn(current, step) ? current[step] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function deliveryTargetOf(region: string, rule: Rule, target: StoredTarget, event: EventBridgeEvent): EventBridgeDeliveryTarget {
  const base = { region, busName: rule.busName, ruleName: rule.name, ruleArn: rule.arn, targetId: target.id, arn: target.arn };
  if (target.input !== undefined) return { ...base, input: target.input };
  if (target.inputPath) return { ...base, input: selectPath(event, target.inputPath) };
  return base;
}
