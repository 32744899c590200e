/**
 * One decode step of a merged decoder in headless Chromium, in a cross-origin isolated worker on
 * onnxruntime-web's plain wasm build, as the app's worker runs it: with every output fetched (the present
 * KV cache handed back whole, as the merged path needs it), with only the logits fetched, and the cost of
 * the new JS arrays onnxruntime-web fills for the outputs. It names what a page's step spends beyond the
 * kernels (bench/README.md, issue 15).
 * `npx tsx tools/profile/browser-step.ts FILE.onnx [--past 866] [--threads 2] [--reps 6]`
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    past: { type: 'string', default: '866' },
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '6' },
  },
});
const [file] = positionals;
if (file === undefined)
  throw new Error('usage: browser-step.ts FILE.onnx [--past 866] [--threads 2] [--reps 6]');

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('./browser-step/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};
const PAGE = `<!doctype html><script type="module">
const worker = new Worker('/step/worker.js' + location.search, { type: 'module' });
worker.onmessage = (event) => console.log(event.data);
worker.onerror = (event) => console.log('error ' + event.message);
</script>`;

/** The page and its worker, node_modules for the runtime, and the model file; isolated, for threads. */
const server = createServer(async (request, response) => {
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  const headers = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  };
  if (path === '/favicon.ico') {
    response.writeHead(204).end();
    return;
  }
  if (path === '/') {
    response.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(PAGE);
    return;
  }
  const target =
    path === '/model.onnx'
      ? resolve(file)
      : path.startsWith('/step/')
        ? HERE + path.slice(6)
        : ROOT + path.slice(1);
  const found = await stat(target).catch(() => undefined);
  if (!found?.isFile()) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    ...headers,
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
  });
  createReadStream(target).pipe(response);
});
await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
const { port } = server.address() as AddressInfo;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  const finished = new Promise<void>((done, fail) => {
    page.on('console', (message) => {
      const text = message.text();
      if (text === 'done') done();
      else if (text.startsWith('error')) fail(new Error(text));
      else process.stdout.write(`${text}\n`);
    });
  });
  const query = new URLSearchParams({
    file: '/model.onnx',
    past: values.past,
    threads: values.threads,
    reps: values.reps,
  });
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  await finished;
} finally {
  await browser.close();
  server.close();
}
