/**
 * Lighthouse on the production build: builds the app, serves it as `vite preview` does (same headers),
 * and audits the first screen on the system Chromium with Lighthouse's default mobile settings, the model
 * not loaded. Prints the performance, accessibility and best-practices scores; writes the full report to
 * lighthouse-report/. Not part of `npm test`: it takes a minute or more and measures, it does not gate.
 *
 *   npm run lighthouse [-- --desktop]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { launch } from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { build, preview } from 'vite';

const chromium = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const categories = ['performance', 'accessibility', 'best-practices'] as const;
const desktop = process.argv.includes('--desktop');

await build({ logLevel: 'warn' });
const server = await preview({
  preview: { host: '127.0.0.1', port: 0, strictPort: false },
  logLevel: 'warn',
});
const address = server.httpServer.address() as AddressInfo;
const url = `http://127.0.0.1:${address.port}/`;
const chrome = await launch({
  chromePath: chromium,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const result = await lighthouse(url, {
    port: chrome.port,
    output: ['html', 'json'],
    logLevel: 'error',
    onlyCategories: [...categories],
    ...(desktop ? { formFactor: 'desktop', screenEmulation: { disabled: true } } : {}),
  });
  if (!result) throw new Error('Lighthouse returned no result.');
  const { lhr, report } = result;
  await mkdir('lighthouse-report', { recursive: true });
  const name = desktop ? 'desktop' : 'mobile';
  const [html, json] = Array.isArray(report) ? report : [report, ''];
  await writeFile(`lighthouse-report/${name}.html`, html ?? '');
  await writeFile(`lighthouse-report/${name}.json`, json ?? '');
  console.log(`Lighthouse ${lhr.lighthouseVersion}, ${name}, ${url} (${lhr.environment.hostUserAgent})`);
  for (const id of categories) {
    const score = lhr.categories[id]?.score;
    console.log(
      `${id.padEnd(15)} ${score === null || score === undefined ? 'n/a' : Math.round(score * 100)}`,
    );
  }
  for (const id of [
    'first-contentful-paint',
    'largest-contentful-paint',
    'total-blocking-time',
    'cumulative-layout-shift',
  ]) {
    console.log(`  ${id.padEnd(26)} ${lhr.audits[id]?.displayValue ?? 'n/a'}`);
  }
  const failed = Object.values(lhr.audits).filter(
    (audit) => audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode === 'binary',
  );
  for (const audit of failed) console.log(`  failed: ${audit.id} — ${audit.title}`);
} finally {
  chrome.kill();
  await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
}
