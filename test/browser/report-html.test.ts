import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { RunResult } from '../../analysis/run-result.ts';
import { comparePatterns } from '../../analysis/compare.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import { compareWithBaseline } from '../../analysis/baseline.ts';
import { buildChartSpecs, loadUplotAssets, renderHtmlReport } from '../../analysis/report-html.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Debian's chromium, as CI installs it; SLUICE_CHROMIUM points elsewhere (or at nothing, to see the skip).
const chromiumPath = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const chromiumMissing = !existsSync(chromiumPath);
if (chromiumMissing) {
  console.warn(`[report-html] skipped: ${chromiumPath} is absent (install it with: apt-get update && apt-get install -y chromium)`);
}

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(join(root, 'test/fixtures/run-results', name), 'utf8')) as RunResult;
}

interface ChartState {
  id: string;
  rendered: string | null;
  error: string | null;
  seriesCount: number;
  canvasWidth: number;
  canvasHeight: number;
  paintedPixels: number;
  distinctColours: number;
}

describe('html report in a browser', () => {
  let browser: Browser | undefined;
  let directory: string;

  beforeAll(async () => {
    if (chromiumMissing) return;
    directory = await mkdtemp(join(tmpdir(), 'sluice-report-'));
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it.skipIf(chromiumMissing)('draws every chart of an sqs vs kinesis comparison offline, with thresholds and a baseline', async () => {
    const sqs = fixture('sqs-standard.json');
    const kinesis = fixture('kinesis-4-shards.json');
    const baseline = structuredClone(sqs);
    baseline.runId = '2025-06-02T09-10-00Z-sqs-standard';
    baseline.patterns[0].latency.endToEndMs.p99 = 1900;
    const thresholds = { all: ['p99EndToEnd < 3s', 'lost == 0', 'maxIteratorAge < 30s', 'throttleRate < 0.1%'], 'sqs-standard': ['maxQueueAge < 2s'] };
    const comparison = comparePatterns([sqs, kinesis]);
    const html = renderHtmlReport(comparison, await loadUplotAssets(), {
      thresholds: [
        evaluateThresholds(sqs, thresholds, { unknownPatterns: 'ignore' }),
        evaluateThresholds(kinesis, thresholds, { unknownPatterns: 'ignore' }),
      ],
      baseline: compareWithBaseline(sqs, baseline),
    });
    const file = join(directory, 'report.html');
    await writeFile(file, html);

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) requests.push(request.url());
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(pathToFileURL(file).href);

    const expected = buildChartSpecs(comparison);
    // Wait for the condition rather than a fixed time: every container reports it was drawn.
    await page.waitForFunction(
      (count) => document.querySelectorAll('.sluice-chart[data-rendered="true"]').length === count,
      expected.length,
      { timeout: 30_000 },
    );

    const charts: ChartState[] = await page.$$eval('.sluice-chart', (elements) =>
      elements.map((element) => {
        const canvas = element.querySelector('canvas');
        let painted = 0;
        const colours = new Set<string>();
        if (canvas && canvas.width > 0 && canvas.height > 0) {
          const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i + 3] === 0) continue;
            painted++;
            colours.add(`${pixels[i] >> 4},${pixels[i + 1] >> 4},${pixels[i + 2] >> 4}`);
          }
        }
        return {
          id: element.id,
          rendered: element.getAttribute('data-rendered'),
          error: element.getAttribute('data-error'),
          seriesCount: Number(element.getAttribute('data-series-count')),
          canvasWidth: canvas?.width ?? 0,
          canvasHeight: canvas?.height ?? 0,
          paintedPixels: painted,
          distinctColours: colours.size,
        };
      }),
    );

    expect(pageErrors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    for (const chart of charts) {
      const spec = expected.find((c) => c.id === chart.id)!;
      expect(chart, chart.id).toMatchObject({ rendered: 'true', error: null, seriesCount: spec.series.length });
      expect(chart.canvasWidth, chart.id).toBeGreaterThan(100);
      expect(chart.canvasHeight, chart.id).toBeGreaterThan(100);
      // Grid and axes alone paint a few percent of the canvas; data lines add their colours.
      expect(chart.paintedPixels, chart.id).toBeGreaterThan(500);
      expect(chart.distinctColours, chart.id).toBeGreaterThan(1);
    }
    for (const id of ['chart-sqs-standard-throughput', 'chart-sqs-standard-ages', 'chart-kinesis-4-shards-shard-ages', 'chart-kinesis-4-shards-throttles']) {
      expect(charts.some((c) => c.id === id), id).toBe(true);
    }
    expect(await page.locator('#comparison tr[data-metric="p99EndToEnd"] td.best').count()).toBe(1);
    expect(await page.locator('#thresholds tr.failed').count()).toBeGreaterThan(0);

    // The picture in the README comes from a real run (`npm run docs:screenshot`); this one is for looking at.
    await page.screenshot({ path: join(directory, 'report-screenshot.png'), fullPage: true });
    expect(readFileSync(join(directory, 'report-screenshot.png')).length).toBeGreaterThan(10_000);
    await page.close();
  });

  it.skipIf(chromiumMissing)('draws the async and synchronous patterns of one run', async () => {
    const run = fixture('eventbridge-apigateway.json');
    const comparison = comparePatterns(run);
    const file = join(directory, 'mixed.html');
    await writeFile(file, renderHtmlReport(comparison, await loadUplotAssets(), { thresholds: evaluateThresholds(run, ['maxAsyncEventAge < 5s', 'functionThrottles == 0']) }));
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const expected = buildChartSpecs(comparison).length;
    await page.waitForFunction((count) => document.querySelectorAll('.sluice-chart[data-rendered="true"]').length === count, expected, { timeout: 30_000 });
    expect(await page.locator('#chart-eventbridge-bus-ages').getAttribute('data-series-count')).toBe('1');
    expect(await page.locator('#chart-api-http-ages').count()).toBe(0);
    await page.close();
  });
});
