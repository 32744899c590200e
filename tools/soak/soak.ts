/**
 * A long conversation, then a model switch, measuring memory at each step: the engine must not keep what
 * a turn or an unloaded model allocated. Runs the real engine on the ONNX Runtime module it is given.
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadModel } from '../../src/engine';
import type { Ort, RgbaImage } from '../../src/engine/index';
import { folderReader } from '../../src/engine/node/folder-reader';

export interface MemoryFigures {
  /** V8's JS heap in use. */
  readonly heapMB: number;
  /** ArrayBuffers and other memory outside the JS heap held by JS objects (tensors' data, model bytes). */
  readonly externalMB: number;
  /** The whole process, WebAssembly memory of the runtime included (it grows, and never shrinks). */
  readonly rssMB: number;
}

export interface SoakFigures {
  readonly turns: number;
  /** Turns that started over from the last question because the conversation filled the context. */
  readonly contextResets: number;
  readonly msPerTurn: number;
  /** After the first model's load and a first turn, when everything a turn needs exists once. */
  readonly baseline: MemoryFigures;
  readonly afterTurns: MemoryFigures;
  /** After unloading the first model, loading the second and answering one turn on it. */
  readonly afterSwitch: MemoryFigures;
}

export interface SoakOptions {
  readonly turns: number;
  readonly models: readonly [string, string];
  readonly maxNewTokens: number;
  readonly modelsDir?: string;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** A full collection, so each figure is what is really held, not garbage waiting for V8. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') {
    gc();
    gc();
  }
}

function memory(): MemoryFigures {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapMB: mb(usage.heapUsed), externalMB: mb(usage.external), rssMB: mb(usage.rss) };
}

/** 64×64, a different colour in each quadrant, so the image tokens carry something. */
function picture(): RgbaImage {
  const data = new Uint8Array(64 * 64 * 4);
  for (let i = 0; i < 64 * 64; i++) {
    const x = i % 64;
    const y = Math.floor(i / 64);
    data.set([x < 32 ? 220 : 30, y < 32 ? 200 : 40, (x + y) % 256, 255], i * 4);
  }
  return { width: 64, height: 64, data };
}

const questions = ['What is in the picture?', 'And the colours?', 'Where is the light?', 'Say more.', 'Why?'];

export async function runSoak(ort: Ort, options: SoakOptions): Promise<SoakFigures> {
  const dir = options.modelsDir ?? 'models';
  const settings = { maxNewTokens: options.maxNewTokens, temperature: 0 };
  const first = await loadModel(ort, folderReader(join(dir, options.models[0])), { backend: 'wasm' });
  const conversation = first.createConversation({ overflow: 'keep-last-turn' });
  let contextResets = 0;
  const turn = async (index: number) => {
    const text = questions[index % questions.length] ?? '';
    const events = conversation.send(index === 0 ? { text, images: [picture()] } : { text }, settings);
    for await (const event of events) if (event.type === 'done' && event.stats.contextReset) contextResets++;
  };
  await turn(0);
  const baseline = memory();
  const start = performance.now();
  for (let i = 1; i < options.turns; i++) await turn(i);
  const msPerTurn = Math.round((performance.now() - start) / Math.max(1, options.turns - 1));
  const afterTurns = memory();

  conversation.dispose();
  await first.dispose();
  const second = await loadModel(ort, folderReader(join(dir, options.models[1])), { backend: 'wasm' });
  const next = second.createConversation();
  for await (const _ of next.send({ text: questions[0] ?? '', images: [picture()] }, settings));
  next.dispose();
  const afterSwitch = memory();
  await second.dispose();
  return { turns: options.turns, contextResets, msPerTurn, baseline, afterTurns, afterSwitch };
}

export function formatSoak(figures: SoakFigures): string {
  const row = (label: string, m: MemoryFigures) =>
    `${label.padEnd(34)} heap ${m.heapMB.toFixed(1).padStart(6)} MB  external ${m.externalMB
      .toFixed(1)
      .padStart(6)} MB  rss ${m.rssMB.toFixed(1).padStart(7)} MB`;
  return [
    `${figures.turns} turns, ${figures.contextResets} context resets, ${figures.msPerTurn} ms per turn`,
    row('after the first turn (baseline)', figures.baseline),
    row(`after ${figures.turns} turns`, figures.afterTurns),
    row('after the model switch and a turn', figures.afterSwitch),
  ].join('\n');
}
