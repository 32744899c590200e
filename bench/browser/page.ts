/**
 * The bench page: hands one job to the bench worker and, while it runs, watches the main thread for long
 * tasks and samples memory. Playwright calls window.runBench(job) and reads the SystemResult it returns.
 */
import type { MemoryPeaks, SystemResult } from '../../src/bench/report';
import type { BenchJob, WorkerReply } from './messages';

/** Chromium's performance.memory (not in the DOM typings). */
function jsHeapBytes(): number | undefined {
  const memory: unknown = Reflect.get(performance, 'memory');
  const used =
    typeof memory === 'object' && memory !== null ? Reflect.get(memory, 'usedJSHeapSize') : undefined;
  return typeof used === 'number' ? used : undefined;
}

async function userAgentBytes(): Promise<number | undefined> {
  const measure: unknown = Reflect.get(performance, 'measureUserAgentSpecificMemory');
  if (!self.crossOriginIsolated || typeof measure !== 'function') return undefined;
  const result: unknown = await measure.call(performance);
  const bytes = typeof result === 'object' && result !== null ? Reflect.get(result, 'bytes') : undefined;
  return typeof bytes === 'number' ? bytes : undefined;
}

async function runBench(job: BenchJob): Promise<SystemResult> {
  const status = document.getElementById('status');
  if (status) status.textContent = `Running ${job.system} on ${job.backend} …`;
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  let heap = 0;
  let agent = 0;
  const sampleHeap = setInterval(() => {
    heap = Math.max(heap, jsHeapBytes() ?? 0);
  }, 250);
  // measureUserAgentSpecificMemory may take seconds to answer (it waits for a GC): sample it slowly.
  let sampling = true;
  const sampleAgent = (async () => {
    while (sampling) {
      agent = Math.max(agent, (await userAgentBytes().catch(() => undefined)) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();

  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
  try {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => resolve(event.data));
      worker.addEventListener('error', (event) => reject(new Error(event.message)));
      worker.postMessage(job);
    });
    if (reply.kind === 'failed') throw new Error(reply.error);
    const { outcome } = reply;
    const memory: MemoryPeaks = {
      ...(heap > 0 ? { jsHeapBytes: heap } : {}),
      ...(agent > 0 ? { userAgentBytes: agent } : {}),
    };
    return {
      system: job.system,
      backend: job.backend,
      runtime: `${outcome.runtime} (${job.backend}${job.backend === 'wasm' ? `, ${outcome.wasmThreads} thread(s)` : ''})`,
      environment: navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent,
      ...outcome.measured,
      loadFromStorageMs: outcome.loadFromStorageMs,
      memory,
      longTasks: { count: longTasks.length, maxMs: Math.max(0, ...longTasks) },
    };
  } finally {
    sampling = false;
    await sampleAgent;
    clearInterval(sampleHeap);
    observer.disconnect();
    worker.terminate();
  }
}

Object.assign(window, { runBench });
