/**
 * Measures Glimpse through its public engine API only, so the same code runs in Node and in a browser
 * worker. Token times are taken where the caller sees them (each streamed delta), as for transformers.js.
 */
import {
  type Backend,
  type GenerateEvent,
  type LoadOptions,
  loadModel,
  type Ort,
  type PackageReader,
} from '../engine/index';
import type { BenchImage, BenchPlan } from './plan';
import { question } from './plan';
import type { ReadAhead, RunMeasure } from './report';
import { decodeRate, perSecond } from './stats';

export interface Measured {
  readonly files: Readonly<Record<string, string>>;
  readonly loadMs: number;
  readonly warmupMs: number | undefined;
  readonly runs: readonly RunMeasure[];
  readonly turnTimeToFirstTokenMs: readonly (number | undefined)[];
  /** Glimpse only: transformers.js has no way to read an image ahead of its question. */
  readonly readAhead?: ReadAhead;
}

/** Called at each token and phase, so a host can sample memory while the work runs. */
export type Sampler = () => void;

interface Timed {
  readonly done: Extract<GenerateEvent, { type: 'done' }>;
  readonly tokenTimes: number[];
  readonly start: number;
}

async function timed(events: AsyncIterable<GenerateEvent>, start: number, sample: Sampler): Promise<Timed> {
  const tokenTimes: number[] = [];
  for await (const event of events) {
    const now = performance.now();
    sample();
    if (event.type === 'done') return { done: event, tokenTimes, start };
    for (let i = 0; i < event.tokenIds.length; i++) tokenTimes.push(now);
  }
  throw new Error('The turn ended without a done event.');
}

function runMeasure({ done, tokenTimes, start }: Timed): RunMeasure {
  const { stats } = done;
  const first = tokenTimes[0];
  return {
    promptTokens: stats.promptTokens,
    generatedTokens: stats.generatedTokens,
    visionMs: stats.visionMs > 0 ? stats.visionMs : undefined,
    prefillMs: stats.prefillMs,
    prefillTokensPerSecond: perSecond(stats.prefillTokens, stats.prefillMs),
    timeToFirstTokenMs: first === undefined ? undefined : first - start,
    decodeTokensPerSecond: decodeRate(tokenTimes),
    ...(stats.drafts ? { drafts: stats.drafts } : {}),
    ...(stats.decodeSteps ? { decodeSteps: stats.decodeSteps } : {}),
    ...(stats.graphCapture === undefined ? {} : { graphCapture: stats.graphCapture }),
  };
}

export async function measureGlimpse(
  ort: Ort,
  reader: PackageReader,
  backend: Backend,
  image: BenchImage,
  plan: BenchPlan,
  load: Pick<
    LoadOptions,
    'dtype' | 'staticCache' | 'rowCache' | 'packedQkv' | 'graphCapture' | 'cpuAttention' | 'cpuThreads'
  >,
  sample: Sampler,
): Promise<Measured> {
  const loadStart = performance.now();
  let warmupStart: number | undefined;
  let readyAt: number | undefined;
  const drafts = plan.draftTokens === undefined ? {} : { draftTokens: plan.draftTokens };
  const model = await loadModel(ort, reader, {
    backend,
    ...load,
    // The captured step is built for as many draft tokens as the turns feed.
    ...drafts,
    onProgress: (progress) => {
      if (progress.phase === 'warmup') warmupStart = performance.now();
      if (progress.phase === 'ready') readyAt = performance.now();
      sample();
    },
  });
  const loadMs = performance.now() - loadStart;
  const warmupMs = warmupStart !== undefined && readyAt !== undefined ? readyAt - warmupStart : undefined;
  const picture = { width: image.width, height: image.height, data: image.rgba };
  const greedy = { temperature: 0, maxNewTokens: plan.maxNewTokens, ...drafts };
  try {
    const runs: RunMeasure[] = [];
    for (let i = 0; i < plan.runs; i++) {
      const conversation = model.createConversation();
      const start = performance.now();
      runs.push(
        runMeasure(
          await timed(conversation.send({ text: question(0), images: [picture] }, greedy), start, sample),
        ),
      );
      conversation.dispose();
    }
    const ahead = model.createConversation();
    const readStart = performance.now();
    await ahead.prepare([picture]);
    const readMs = performance.now() - readStart;
    const sendStart = performance.now();
    const readAhead = {
      readMs,
      timeToFirstTokenMs: runMeasure(
        await timed(ahead.send({ text: question(0), images: [picture] }, greedy), sendStart, sample),
      ).timeToFirstTokenMs,
    };
    ahead.dispose();
    const conversation = model.createConversation();
    const turnTimeToFirstTokenMs: (number | undefined)[] = [];
    for (let turn = 0; turn < plan.turns; turn++) {
      const text = question(turn);
      const start = performance.now();
      const events = conversation.send(turn === 0 ? { text, images: [picture] } : { text }, {
        temperature: 0,
        maxNewTokens: plan.maxNewTokensPerTurn,
        ...drafts,
      });
      turnTimeToFirstTokenMs.push(runMeasure(await timed(events, start, sample)).timeToFirstTokenMs);
    }
    conversation.dispose();
    const { staticDecoder } = model.info;
    const files = Object.fromEntries(
      Object.entries({
        ...model.info.files,
        ...(staticDecoder ? { decoder_model_static: staticDecoder } : {}),
      }).flatMap(([part, file]) => (file === undefined ? [] : [[part, file]])),
    );
    return { files, loadMs, warmupMs, runs, turnTimeToFirstTokenMs, readAhead };
  } finally {
    await model.dispose();
  }
}
