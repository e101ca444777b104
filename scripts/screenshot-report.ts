import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

/**
 * Screenshots a report.html in Debian's headless Chromium (the README's picture):
 * `npm run docs:screenshot -- runs/compare-all-…/report.html docs/report-screenshot.png`
 */
const [report, output = 'docs/report-screenshot.png'] = process.argv.slice(3);
if (!report) {
  console.error('usage: npm run docs:screenshot -- <report.html> [output.png]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(pathToFileURL(resolve(report)).href);
await page.waitForFunction(() => [...document.querySelectorAll('[data-series-count]')].every((chart) => chart.getAttribute('data-rendered') === 'true'));
await page.screenshot({ path: output, fullPage: true });
await browser.close();
console.log(`wrote ${output}`);
