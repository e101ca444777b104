import type { Scenario, PatternSpec } from '../scenario/schema.ts';
import type { Phase } from '../scenario/parts.ts';

/**
 * A pattern of a scenario as a plain Artillery script: `config.target`, `config.phases` in
 * Artillery's units (seconds), and `config.engines.sluice` — what the engine shipped in
 * load/artillery-engine-sluice needs to send each virtual user's one event to the pattern's
 * source, stamped as sluice stamps its own — with one scenario on that engine.
 * https://www.artillery.io/docs/reference/test-script
 */
export interface ArtilleryScript {
  config: {
    target: string;
    phases: Array<{ name?: string; duration: number; arrivalRate: number; rampTo?: number } | { name?: string; pause: number }>;
    engines: { sluice: Record<string, unknown> };
  };
  scenarios: Array<{ name: string; engine: 'sluice'; flow: Array<Record<string, unknown>> }>;
}

export interface ArtilleryExportOptions {
  /** The index of the pattern in `scenario.patterns`. */
  patternIndex: number;
  patternName: string;
  /** A local endpoint (`sluice serve`, LocalStack); absent for AWS. */
  endpoint?: string;
  /** The source's resource: queue URL, stream, bus, bucket or API URL (default: the pattern's own field, else the name sluice gives it). */
  resource?: string;
}

/** Why a phase has no Artillery equivalent, by index; empty when every phase has one. */
export function phasesWithoutArtilleryEquivalent(phases: readonly Phase[]): Array<{ index: number; message: string }> {
  return phases.flatMap((phase, index) =>
    'pause' in phase || ('duration' in phase && 'arrivalRate' in phase && !('bursts' in phase && (phase as { bursts?: unknown[] }).bursts?.length))
      ? []
      : [{ index, message: 'this phase shape (bursts, a daily curve, a replayed trace) has no Artillery equivalent: export-artillery writes constant, ramped and pause phases only' }],
  );
}

/** Artillery's phases for sluice's: the same vocabulary, in seconds. */
function artilleryPhases(phases: readonly Phase[]): ArtilleryScript['config']['phases'] {
  return phases.map((phase) => {
    const named = phase.name ? { name: phase.name } : {};
    if ('pause' in phase) return { ...named, pause: phase.pause / 1000 };
    const ramp = phase as { duration: number; arrivalRate: number; rampTo?: number };
    return { ...named, duration: Math.round(ramp.duration / 1000), arrivalRate: ramp.arrivalRate, ...(ramp.rampTo !== undefined ? { rampTo: ramp.rampTo } : {}) };
  });
}

/** The resource name sluice gives a pattern's source when it creates it (the drivers' naming, without a run id). */
function defaultResourceName(scenario: Scenario, patternName: string): string {
  return `sluice-${scenario.name}-${patternName}`.replace(/[^A-Za-z0-9_-]/g, '-').toLowerCase().slice(0, 63);
}

export function artilleryScriptFor(scenario: Scenario, options: ArtilleryExportOptions): ArtilleryScript {
  const pattern = scenario.patterns[options.patternIndex] as PatternSpec & Record<string, unknown>;
  const name = defaultResourceName(scenario, options.patternName);
  const own = (field: string) => (typeof pattern[field] === 'string' ? (pattern[field] as string) : undefined);
  const endpoint = options.endpoint?.replace(/\/$/, '');
  const common = {
    source: pattern.source,
    region: scenario.region,
    ...(endpoint ? { endpoint } : {}),
    eventSizeBytes: scenario.workload.eventSizeBytes,
    keyCount: scenario.workload.keys.count,
    idBase: 0,
    // Each Artillery worker stamps ids from its own block of a million.
    idStride: 1_000_000,
  };
  const bySource: Record<string, () => Record<string, unknown>> = {
    sqs: () => ({ queueUrl: options.resource ?? own('queueUrl') ?? `${endpoint ?? `https://sqs.${scenario.region}.amazonaws.com`}/000000000000/${name}` }),
    kinesis: () => ({ streamName: options.resource ?? own('streamName') ?? name }),
    eventbridge: () => ({ busName: options.resource ?? own('busName') ?? name, eventSource: pattern.eventSource, detailType: pattern.detailType }),
    s3: () => ({ bucket: options.resource ?? own('bucket') ?? name, keyPrefix: (pattern as { notification?: { prefix?: string } }).notification?.prefix ?? '', keySuffix: (pattern as { notification?: { suffix?: string } }).notification?.suffix ?? '.json' }),
    apigateway: () => ({ apiUrl: options.resource ?? own('apiUrl') ?? `${endpoint ?? 'http://127.0.0.1:8080'}${(pattern as { path?: string }).path ?? '/'}`, method: (pattern as { method?: string }).method ?? 'POST' }),
  };
  const sourceSettings = bySource[pattern.source]?.() ?? {};
  const target = pattern.source === 'apigateway' ? String(sourceSettings.apiUrl) : (endpoint ?? `https://${pattern.source}.${scenario.region}.amazonaws.com`);
  return {
    config: { target, phases: artilleryPhases(scenario.workload.phases), engines: { sluice: { ...common, ...sourceSettings } } },
    scenarios: [{ name: `${scenario.name}/${options.patternName}`, engine: 'sluice', flow: [{ send: {} }] }],
  };
}
