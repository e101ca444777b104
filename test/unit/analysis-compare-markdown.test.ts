import { describe, expect, it } from 'vitest';
import { comparePatterns } from '../../analysis/compare.ts';
import { renderComparisonMarkdown } from '../../analysis/compare-markdown.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import { compareWithBaseline } from '../../analysis/baseline.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';
import { sourceModules } from '../../drivers/registry.ts';

/** The fixtures record no cost: they are priced with each source's model, as `sluice compare` prices them. */
const costModels = Object.fromEntries(Object.entries(sourceModules).map(([source, module]) => [source, module.cost]));

/**
 * Golden files: the rendered Markdown is compared byte for byte. When a change to the
 * renderer is deliberate, regenerate them with
 *   npx vitest run test/unit/analysis-compare-markdown.test.ts -u
 * and review the diff like code.
 */
describe('comparison markdown', () => {
  it('renders sqs vs kinesis with thresholds and a baseline (golden)', async () => {
    const sqs = loadRunFixture('sqs-standard');
    const kinesis = loadRunFixture('kinesis-4-shards');
    const baseline = loadRunFixture('sqs-standard');
    baseline.runId = '2025-06-02T09-10-00Z-sqs-standard';
    baseline.patterns[0].latency.endToEndMs.p99 = 1900;
    baseline.patterns[0].summary.peakConcurrency = 40;
    const thresholds = {
      all: ['p99EndToEnd < 2s', 'lost == 0', 'throttleRate < 0.1%', 'costPerMillion < 1'],
      'sqs-standard': ['maxQueueAge < 2s', 'maxIteratorAge < 30s'],
      'kinesis-4-shards': ['maxIteratorAge < 1s'],
    };
    const markdown = renderComparisonMarkdown(comparePatterns([sqs, kinesis], { costModels }), {
      thresholds: [evaluateThresholds(sqs, thresholds, { unknownPatterns: 'ignore', costModels }), evaluateThresholds(kinesis, thresholds, { unknownPatterns: 'ignore', costModels })],
      baseline: compareWithBaseline(sqs, baseline, { costModels }),
    });
    await expect(markdown).toMatchFileSnapshot('../fixtures/golden/compare-sqs-kinesis.md');
  });

  it('renders the patterns of one run without thresholds or baseline (golden)', async () => {
    const markdown = renderComparisonMarkdown(comparePatterns(loadRunFixture('eventbridge-apigateway'), { costModels }), { title: 'async vs sync at 600 events/s' });
    await expect(markdown).toMatchFileSnapshot('../fixtures/golden/compare-eventbridge-apigateway.md');
  });

  it('bolds each winner and names it in the Best column', () => {
    const markdown = renderComparisonMarkdown(comparePatterns([loadRunFixture('sqs-standard'), loadRunFixture('kinesis-4-shards')]), { costBreakdown: false });
    expect(markdown).toContain('| End-to-end p99 ↓ | 2.56 s | **1.23 s** | kinesis-4-shards |');
    expect(markdown).toContain('| Iterator age max ↓ | n/a | 927 ms | — |');
    expect(markdown).toContain('| Throughput in ↑ | 841/s | 841/s | tie |');
    expect(markdown).not.toContain('Cost breakdown');
  });

  it('says when every threshold passed and nothing regressed', () => {
    const run = loadRunFixture('kinesis-4-shards');
    const markdown = renderComparisonMarkdown(comparePatterns(run), {
      thresholds: evaluateThresholds(run, ['lost == 0']),
      baseline: compareWithBaseline(run, loadRunFixture('kinesis-4-shards')),
    });
    expect(markdown).toContain('✅ **Thresholds passed** (1 passed, 0 failed, 0 not applicable) · ✅ **No regression against the baseline** (0 improved)');
    expect(markdown).toContain('No metric moved beyond its tolerance.');
  });

  it('keeps run data from breaking the table or opening HTML', () => {
    const run = loadRunFixture('sqs-standard');
    run.patterns[0].name = 'a|b';
    run.patterns[0].warnings = ['<img src=x onerror=alert(1)> and p99 < 2 s'];
    run.status = 'interrupted';
    const markdown = renderComparisonMarkdown(comparePatterns(run));
    expect(markdown).toContain('| Metric | a\\|b<br><sub>sqs</sub> | Best |');
    expect(markdown).toContain('&lt;img src=x onerror=alert(1)> and p99 < 2 s');
    expect(markdown).toContain('run `2025-06-03T09-14-07Z-sqs-standard` interrupted');
  });
});
