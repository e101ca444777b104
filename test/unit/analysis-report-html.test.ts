import { describe, expect, it } from 'vitest';
import { comparePatterns } from '../../analysis/compare.ts';
import { buildChartSpecs, loadUplotAssets, renderHtmlReport } from '../../analysis/report-html.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';

// Stand-ins for uPlot: the markup is what is under test here; test/browser draws the real thing.
const fakeAssets = { js: 'window.uPlot = function () {};', css: '.uplot {}' };

describe('html report charts', () => {
  it('gives each pattern its charts, with stable ids, leaving out series and charts without data', () => {
    const charts = buildChartSpecs(comparePatterns([loadRunFixture('sqs-standard'), loadRunFixture('kinesis-4-shards')]));
    expect(charts.map((c) => `${c.id}:${c.series.map((s) => s.label).join('+')}`)).toEqual([
      'chart-all-overview-throughput:sqs-standard+kinesis-4-shards',
      'chart-all-overview-latency:sqs-standard+kinesis-4-shards',
      'chart-sqs-standard-throughput:sent+accepted+completed',
      'chart-sqs-standard-latency:p50+p99',
      'chart-sqs-standard-ages:queue age max',
      'chart-sqs-standard-concurrency:concurrent executions+pollers',
      'chart-sqs-standard-throttles:source+function',
      'chart-kinesis-4-shards-throughput:sent+accepted+completed',
      'chart-kinesis-4-shards-latency:p50+p99',
      'chart-kinesis-4-shards-ages:iterator age max',
      'chart-kinesis-4-shards-shard-ages:shardId-000000000000+shardId-000000000001+shardId-000000000002+shardId-000000000003',
      'chart-kinesis-4-shards-concurrency:concurrent executions',
      'chart-kinesis-4-shards-throttles:source+function',
    ]);
  });

  it('aligns every series with the seconds of its pattern, null where a second has no sample', () => {
    const run = loadRunFixture('sqs-standard');
    const latency = buildChartSpecs(comparePatterns(run)).find((c) => c.chart === 'latency')!;
    expect(latency.xValues).toEqual(run.patterns[0].series.map((p) => p.tSec));
    expect(latency.series[0].values).toHaveLength(latency.xValues.length);
    expect(latency.series[0].values.at(-1)).toBeNull(); // the drain seconds completed nothing
  });

  it('charts the load check on the load’s own clock when the result has it: requested vs sent, lag and loop delay', () => {
    const run = loadRunFixture('sqs-standard');
    run.patterns[0].load.perSecond = [
      { tSec: 0, requested: 100, achieved: 100, lagMaxMs: 4, loopDelayMaxMs: 11 },
      { tSec: 1, requested: 100, achieved: 38, lagMaxMs: 1650, loopDelayMaxMs: 1500 },
    ];
    const charts = buildChartSpecs(comparePatterns(run));
    const load = charts.find((c) => c.chart === 'load')!;
    expect(load.xValues).toEqual([0, 1]);
    expect(load.series.map((s) => [s.label, s.values])).toEqual([
      ['requested', [100, 100]],
      ['sent', [100, 38]],
    ]);
    expect(charts.find((c) => c.chart === 'load-lag')!.series.map((s) => s.values)).toEqual([
      [4, 1650],
      [11, 1500],
    ]);
  });

  it('has no overview charts for a single pattern', () => {
    const run = loadRunFixture('sqs-standard');
    expect(buildChartSpecs(comparePatterns(run)).some((c) => c.pattern === 'all')).toBe(false);
  });
});

describe('renderHtmlReport', () => {
  const run = loadRunFixture('eventbridge-apigateway');
  const comparison = comparePatterns(run);
  const html = renderHtmlReport(comparison, fakeAssets, { thresholds: evaluateThresholds(run, ['lost == 0', 'maxAsyncEventAge < 2s']) });

  it('is one page that loads nothing from anywhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain(fakeAssets.js);
    expect(html).toContain(fakeAssets.css);
  });

  it('marks up every chart container for the browser test', () => {
    for (const chart of buildChartSpecs(comparison)) {
      expect(html).toContain(
        `<figure id="${chart.id}" class="sluice-chart sluice-chart--${chart.chart}" data-chart="${chart.chart}" data-pattern="${chart.pattern}" data-series-count="${chart.series.length}">`,
      );
    }
  });

  it('shows the comparison and the thresholds', () => {
    expect(html).toContain('<tr data-metric="p99EndToEnd">');
    expect(html).toContain('<td class="num best">133 ms</td>');
    expect(html).toContain('<tr class="failed"><td>✗</td><td>eventbridge-bus</td><td><code>maxAsyncEventAge &lt; 2s</code></td>');
  });

  it('escapes run data in markup and in the embedded JSON', () => {
    const hostile = loadRunFixture('sqs-standard');
    hostile.patterns[0].name = '</script><img src=x onerror=alert(1)>';
    hostile.patterns[0].warnings = ['<b>bold</b>'];
    const page = renderHtmlReport(comparePatterns(hostile), fakeAssets);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;');
    const data = /<script type="application\/json" id="sluice-report-data">(.*?)<\/script>/s.exec(page)![1];
    expect(data).not.toContain('<');
    expect(JSON.parse(data).charts.length).toBeGreaterThan(0);
  });

  it('reads uPlot from node_modules', async () => {
    const assets = await loadUplotAssets();
    expect(assets.js).toContain('uPlot');
    expect(assets.css).toContain('.uplot');
  });
});
