/**
 * The page's own load while an answer streams: frames a second, the longest gaps between frames, and the
 * main thread's busy time (the CPU profiler's samples that are not idle) over one long greedy answer of
 * tiny-llava on wasm, where the worker sends 70–90 tokens a second. The build must be served already
 * (`npm run build && npm run preview`, or the e2e suite's server on 4173); to set two versions side by side,
 * build each and run this against it.
 * With `--history N` the answer ends a stored conversation of N earlier messages (markdown answers with a
 * list, code and a table), which is opened first: the table then also gives the time from the click to the
 * opened conversation's next frame, the first time and (median of three) on going back to it from a new chat.
 * `--top N` lists after each row the N functions that held the main thread longest (self time, share of the run).
 * `npx tsx tools/profile/streaming-page.ts [--url http://127.0.0.1:4173] [--runs 3] [--tokens 400] [--history 400] [--top 15]`
 */
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:4173' },
    runs: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '400' },
    history: { type: 'string', default: '0' },
    top: { type: 'string', default: '0' },
  },
});

const HISTORY = Number(values.history);
const PARAGRAPH =
  'The picture shows a **harbour** with several boats moored along a wooden pier. Their hulls are painted ' +
  'in bright colours, and the water reflects the morning light. ';

/** A stored conversation of `count` messages, as the app's IndexedDB store keeps it (storage/conversations.ts). */
function history(count: number) {
  const messages = Array.from({ length: count }, (_, i) => ({
    id: `history-${i}`,
    role: i % 2 === 0 ? 'user' : 'assistant',
    text:
      i % 2 === 0
        ? `Question ${i}: what else is in the picture?`
        : `${PARAGRAPH.repeat(3)}\n\n- a point ${i}\n- a point with \`code\`\n\n\`\`\`js\nconst x = ${i};\n\`\`\`\n\n| a | b |\n|---|---|\n| ${i} | ${2 * i} |\n`,
  }));
  const now = Date.now();
  const summary = {
    id: 'history',
    title: 'A long chat',
    modelId: 'tiny-llava',
    createdAt: now,
    updatedAt: now,
  };
  return { conversation: { ...summary, messages }, summary: { ...summary, messageCount: count } };
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
console.log(
  '| run | messages shown | open ms, first / again | answer ms | tokens/s | frames/s | frame gap p95 ms | longest gap ms | main thread busy |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
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
    let openMs: string | undefined;
    if (HISTORY > 0) {
      await page.evaluate(async (stored) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open('glimpse');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        const tx = db.transaction(['conversations', 'summaries'], 'readwrite');
        tx.objectStore('conversations').put(stored.conversation);
        tx.objectStore('summaries').put(stored.summary);
        await new Promise((resolve) => {
          tx.oncomplete = resolve;
        });
      }, history(HISTORY));
      // The list is read at start: a reload shows the stored chat, with the model still cached.
      await page.reload();
      await page.getByTestId('model-status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
      const row = page.getByRole('button', { name: 'A long chat', exact: true });
      await row.waitFor();
      // The first open, then three more after a new chat, as when one goes back to it: the median of those.
      const opens: number[] = [];
      for (let open = 0; open < 4; open++) {
        if (open > 0) await page.getByTestId('new-chat').click();
        opens.push(
          await page.evaluate(async (count) => {
            const start = performance.now();
            const button = [...document.querySelectorAll('nav button')].find(
              (b) => b.textContent === 'A long chat',
            );
            (button as HTMLButtonElement | undefined)?.click();
            while (document.querySelectorAll('.messages .message').length < count)
              await new Promise((resolve) => requestAnimationFrame(resolve));
            await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
            return performance.now() - start;
          }, HISTORY),
        );
      }
      const again = opens.slice(1).sort((a, b) => a - b);
      openMs = `${opens[0]?.toFixed(0)} / ${again[1]?.toFixed(0)}`;
    }
    await page.getByTestId('prompt-input').fill('Tell me a long story about a boat.');
    // A history longer than tiny-llava's context: the app offers to go on from the question alone, which
    // is the answer measured.
    const continueButton = page.getByRole('button', { name: 'Continue from this question' });
    if (HISTORY > 0) {
      await page.getByTestId('send-button').click();
      await continueButton.waitFor({ timeout: 60_000 });
    }
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    const started = await page.evaluate(() => {
      (Reflect.get(window, 'frameGaps') as number[]).length = 0;
      return performance.now();
    });
    await (HISTORY > 0 ? continueButton : page.getByTestId('send-button')).click();
    await page
      .locator('[data-testid=assistant-message][data-state=done]')
      .nth(Math.floor(HISTORY / 2))
      .waitFor({ timeout: 300_000 });
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    };
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    let busy = 0;
    let total = 0;
    const selfTime = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      total += dt;
      if (!idle.has(id)) busy += dt;
      selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    });
    // With --top N, the functions that held the main thread longest, by self time, after the table row.
    const byFunction = new Map<string, number>();
    for (const n of profile.nodes) {
      const { functionName, url, lineNumber } = n.callFrame;
      if (functionName === '(idle)') continue;
      const name = `${functionName || '(anonymous)'} ${url.split('/').at(-1)}:${lineNumber}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + (selfTime.get(n.id) ?? 0));
    }
    const heaviest = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
    const shown = await page.evaluate((start) => {
      const gaps = (Reflect.get(window, 'frameGaps') as number[]).slice().sort((a, b) => a - b);
      return {
        ms: performance.now() - start,
        frames: gaps.length,
        p95: gaps[Math.floor(0.95 * (gaps.length - 1))] ?? 0,
        max: gaps.at(-1) ?? 0,
        stats:
          [...document.querySelectorAll('[data-testid=assistant-message] .stats')].at(-1)?.textContent ?? '',
      };
    }, started);
    const tokensPerSecond = /([\d.]+) tok\/s/.exec(shown.stats)?.[1] ?? '?';
    const row = [
      run,
      HISTORY + 2,
      openMs ?? '–',
      shown.ms.toFixed(0),
      tokensPerSecond,
      (shown.frames / (shown.ms / 1000)).toFixed(1),
      shown.p95.toFixed(0),
      shown.max.toFixed(0),
      `${((100 * busy) / total).toFixed(0)}%`,
    ];
    console.log(`| ${row.join(' | ')} |`);
    for (const [name, us] of heaviest) console.log(`    ${((100 * us) / total).toFixed(1)}%  ${name}`);
    await page.close();
  }
} finally {
  await browser.close();
}
