/**
 * The page's own load while an answer streams: frames a second, the longest gaps between frames, and the
 * main thread's busy time (the CPU profiler's samples that are not idle) over one long greedy answer of
 * tiny-llava on wasm, where the worker sends 70–90 tokens a second. The build must be served already
 * (`npm run build && npm run preview`, or the e2e suite's server on 4173); to set two versions side by side,
 * build each and run this against it.
 * `npx tsx tools/profile/streaming-page.ts [--url http://127.0.0.1:4173] [--runs 3] [--tokens 400]`
 */
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:4173' },
    runs: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '400' },
  },
});

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
console.log(
  '| run | answer ms | tokens/s | frames/s | frame gap p95 ms | longest gap ms | main thread busy |',
);
console.log('|---|---|---|---|---|---|---|');
try {
  for (let run = 1; run <= Number(values.runs); run++) {
    const page = await browser.newPage();
    // As a string: tsx names the functions of a closure with a helper that the page does not have.
    const settings = { temperature: 0, maxNewTokens: Number(values.tokens), systemPrompt: '' };
    await page.addInitScript(`
      localStorage.setItem('glimpse-settings', ${JSON.stringify(JSON.stringify({ state: { settings }, version: 2 }))});
      window.frameGaps = [];
      let last = performance.now();
      requestAnimationFrame(function frame(now) {
        window.frameGaps.push(now - last);
        last = now;
        requestAnimationFrame(frame);
      });`);
    await page.goto(`${values.url}/?model=tiny-llava&backend=wasm`);
    await page.getByTestId('model-status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('prompt-input').fill('Tell me a long story about a boat.');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    const started = await page.evaluate(() => {
      (Reflect.get(window, 'frameGaps') as number[]).length = 0;
      return performance.now();
    });
    await page.getByTestId('send-button').click();
    await page.locator('[data-testid=assistant-message][data-state=done]').waitFor({ timeout: 300_000 });
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    };
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    let busy = 0;
    let total = 0;
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      total += dt;
      if (!idle.has(id)) busy += dt;
    });
    const shown = await page.evaluate((start) => {
      const gaps = (Reflect.get(window, 'frameGaps') as number[]).slice().sort((a, b) => a - b);
      return {
        ms: performance.now() - start,
        frames: gaps.length,
        p95: gaps[Math.floor(0.95 * (gaps.length - 1))] ?? 0,
        max: gaps.at(-1) ?? 0,
        stats: document.querySelector('[data-testid=assistant-message] .stats')?.textContent ?? '',
      };
    }, started);
    const tokensPerSecond = /([\d.]+) tok\/s/.exec(shown.stats)?.[1] ?? '?';
    const row = [
      run,
      shown.ms.toFixed(0),
      tokensPerSecond,
      (shown.frames / (shown.ms / 1000)).toFixed(1),
      shown.p95.toFixed(0),
      shown.max.toFixed(0),
      `${((100 * busy) / total).toFixed(0)}%`,
    ];
    console.log(`| ${row.join(' | ')} |`);
    await page.close();
  }
} finally {
  await browser.close();
}
