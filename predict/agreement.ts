import type { PatternResult } from '../analysis/run-result.ts';

/**
 * Below this many milliseconds apart, two latencies or ages agree: a run's timers, its HTTP
 * calls and its once-a-second samples resolve them no finer (0 against 1 ms is not a 100 % gap).
 */
const msResolution = 20;

/** A figure both a prediction and a run report, and the rule that shapes it most (named when they part). */
const agreementFigures = {
  throughputOut: { read: (p: PatternResult) => p.summary.throughputOutPerSecond, rule: 'the source mapping’s concurrency (pollers, lanes) and the function’s limit' },
  p99EndToEndMs: { read: (p: PatternResult) => p.latency.endToEndMs.p99, floor: msResolution, rule: 'the handler duration, batching and polling waits (a run adds HTTP and emulator time)' },
  peakConcurrency: { read: (p: PatternResult) => p.summary.peakConcurrency, rule: 'poller scaling / burst scaling' },
  maxAgeMs: { read: (p: PatternResult) => p.summary.queueAgeMsMax ?? p.summary.iteratorAgeMsMax ?? p.summary.asyncEventAgeMsMax ?? 0, floor: msResolution, rule: 'queue, iterator or async event age (backlog drain)' },
  costUsd: { read: (p: PatternResult) => p.cost?.totalUsd ?? 0, rule: 'invocations per event (batch sizes) and GB-seconds' },
} satisfies Record<string, FigureSpec>;

interface FigureSpec {
  read: (p: PatternResult) => number;
  rule: string;
  /** The resolution below which two values agree (the gap's least denominator). */
  floor?: number;
}

export type AgreementFigure = keyof typeof agreementFigures;

export interface FigureAgreement {
  figure: AgreementFigure;
  predicted: number;
  measured: number;
  /** |predicted − measured| / the larger of the two, or of the figure's resolution for latencies and ages (0 when both are 0). */
  gap: number;
  rule: string;
}

/** The figures of a predicted and a measured pattern side by side, each with its gap. */
export function agreementOf(predicted: PatternResult, measured: PatternResult): FigureAgreement[] {
  return (Object.keys(agreementFigures) as AgreementFigure[]).map((figure) => {
    const { read, rule, floor = 0 }: FigureSpec = agreementFigures[figure];
    const a = read(predicted);
    const b = read(measured);
    const larger = Math.max(Math.abs(a), Math.abs(b));
    return { figure, predicted: a, measured: b, gap: larger === 0 ? 0 : Math.abs(a - b) / Math.max(larger, floor), rule };
  });
}

/** One line per figure: predicted vs measured, the gap, and the rule when the gap is above `tolerance`. */
export function formatAgreement(patternName: string, rows: FigureAgreement[], tolerance = 0.1): string {
  return rows
    .map((row) => `${patternName} ${row.figure}: predicted ${+row.predicted.toPrecision(4)} vs measured ${+row.measured.toPrecision(4)} (${(row.gap * 100).toFixed(1)} %)${row.gap > tolerance ? ` — differs: ${row.rule}` : ''}`)
    .join('\n');
}
