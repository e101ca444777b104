import { survivalAt, type DurationQuantiles } from './duration-quantiles.ts';

/**
 * The peak concurrency of a run where each event is its own invoke (EventBridge, S3 and API
 * Gateway), as the tail figure it is.
 *
 * Counts carry the mean number of busy environments. A run's peak is the largest number busy
 * at any instant, and with random durations that is above the mean: at 100 invokes a second of
 * 40–150 ms, four are busy on average and nine or ten at the busiest instant of 15 s. Each
 * second of the model adds what a run would see in it: an arrival at rate λ finds the invokes
 * that started j/λ before it still running with the odds F̄(j/λ) (the duration's survival), so
 * the number it finds busy is a sum of such chances (a Poisson-binomial count; a normal one
 * where it is large), and concurrency first reaches k when an arrival finds k − 1 busy. The
 * estimate is the level the run passes with even odds: the largest k at which the expected
 * number of such arrivals over the whole run is still ln 2 (as predict/run-maximum.ts does for
 * ages).
 *
 * @example
 * const peak = new ChancePeak([{ durationMs: 40, weight: 0.5 }, { durationMs: 120, weight: 0.5 }]);
 * for (let second = 0; second < 15; second += 1) peak.observeSecond(100);
 * peak.estimate(); // the even-odds peak of 15 s at 100 invokes a second
 */
export class ChancePeak {
  private readonly quantiles: DurationQuantiles;
  /** ∫F̄ and ∫F̄² over the durations (ms): the mean and variance of the count busy, per unit of rate. */
  private readonly survivalIntegralMs: number;
  private readonly squaredSurvivalIntegralMs: number;
  /** Invokes started each second, by rate, and how many seconds had it. */
  private readonly secondsByRate = new Map<number, number>();
  private readonly distributions = new Map<number, BusyFound>();

  constructor(quantiles: DurationQuantiles) {
    this.quantiles = [...quantiles].filter((q) => q.weight > 0).sort((a, b) => a.durationMs - b.durationMs);
    let survivalIntegralMs = 0;
    let squaredSurvivalIntegralMs = 0;
    let fromMs = 0;
    let survival = 1;
    for (const { durationMs, weight } of this.quantiles) {
      survivalIntegralMs += survival * (durationMs - fromMs);
      squaredSurvivalIntegralMs += survival * survival * (durationMs - fromMs);
      fromMs = durationMs;
      survival = Math.max(0, survival - weight);
    }
    this.survivalIntegralMs = survivalIntegralMs;
    this.squaredSurvivalIntegralMs = squaredSurvivalIntegralMs;
  }

  /** One second in which `invokesPerSecond` invokes started (a fraction of one is kept as it is). */
  observeSecond(invokesPerSecond: number): void {
    if (!(invokesPerSecond > 0)) return;
    // Rates to four significant figures: a day's curve has a few thousand, each worked out once.
    const rate = Number(invokesPerSecond.toPrecision(4));
    this.secondsByRate.set(rate, (this.secondsByRate.get(rate) ?? 0) + 1);
  }

  /** The even-odds peak: 0 when nothing was observed. */
  estimate(): number {
    if (this.secondsByRate.size === 0) return 0;
    const found = [...this.secondsByRate].map(([rate, seconds]) => ({ rate, seconds, busy: this.busyFoundAt(rate) }));
    // Reaching k takes an arrival that finds k − 1 busy; the expected count of those over the run.
    const arrivalsReaching = (level: number) => found.reduce((sum, { rate, seconds, busy }) => sum + rate * seconds * busy.probability(level - 1), 0);
    // An arrival that finds the mean busy reaches one more; above that, the count only falls.
    let low = Math.ceil(Math.max(...found.map(({ busy }) => busy.mean))) + 1;
    if (arrivalsReaching(low) < Math.LN2) {
      // A run too short to reach even that with even odds.
      while (low > 1 && arrivalsReaching(low) < Math.LN2) low -= 1;
      return low;
    }
    let high = Math.ceil(Math.max(...found.map(({ busy }) => busy.upper))) + 2;
    // The count reaching a level falls as the level rises above every second's mean.
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (arrivalsReaching(middle) >= Math.LN2) low = middle;
      else high = middle;
    }
    return low;
  }

  private busyFoundAt(rate: number): BusyFound {
    let busy = this.distributions.get(rate);
    if (busy === undefined) {
      busy = this.survivalIntegralMs * rate / 1000 <= poissonBinomialMeanMax ? this.poissonBinomial(rate) : this.normal(rate);
      this.distributions.set(rate, busy);
    }
    return busy;
  }

  /** Exactly: the invokes that started 1/λ, 2/λ, … before an arrival, each still running with its odds. */
  private poissonBinomial(rate: number): BusyFound {
    const spacingMs = 1000 / rate;
    let counts = [1];
    for (let j = 1; ; j += 1) {
      const odds = survivalAt(this.quantiles, j * spacingMs);
      if (odds <= 0) break;
      const next = new Array<number>(counts.length + 1).fill(0);
      for (let k = 0; k < counts.length; k += 1) {
        next[k]! += counts[k]! * (1 - odds);
        next[k + 1]! += counts[k]! * odds;
      }
      counts = next;
    }
    const mean = counts.reduce((sum, p, k) => sum + p * k, 0);
    return { mean, upper: counts.length, probability: (k) => (k >= 0 && k < counts.length ? counts[k]! : 0) };
  }

  /** Where many are busy: a normal count with the Poisson-binomial's mean and variance (the sums as integrals). */
  private normal(rate: number): BusyFound {
    const perMs = rate / 1000;
    const mean = perMs * this.survivalIntegralMs;
    const deviation = Math.sqrt(Math.max(1e-9, perMs * (this.survivalIntegralMs - this.squaredSurvivalIntegralMs)));
    return {
      mean,
      upper: mean + 10 * deviation,
      probability: (k) => Math.exp(-0.5 * ((k - mean) / deviation) ** 2) / (deviation * Math.sqrt(2 * Math.PI)),
    };
  }

}

/** The count an arrival finds busy: its mean, a level it does not pass, and the odds of each count. */
interface BusyFound {
  mean: number;
  upper: number;
  probability(busy: number): number;
}

/** Up to this mean, the count busy is worked out exactly; beyond it, as a normal count. */
const poissonBinomialMeanMax = 200;
