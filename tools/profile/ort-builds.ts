/**
 * One model file run on two onnxruntime-web builds, each in its own process (a build's module is its own):
 * the plain wasm build (`onnxruntime-web`, ort-wasm-simd-threaded.wasm, what the CLI's wasm backend loads)
 * and the WebGPU bundle the app's worker imports for both backends (`onnxruntime-web/webgpu`, the asyncify
 * build). Both on the wasm provider with one thread (the bundle's threads fetch their module, which Node
 * cannot), so the difference is the build's code and its compile. Inputs are filled with 0.1 at the
 * graph's declared shape; `--dims` fixes a free dimension.
 * `npx tsx tools/profile/ort-builds.ts FILE.onnx [--runs 3] [--dims 1,3,378,378]`
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, dims: { type: 'string' }, build: { type: 'string' } },
});
const [file] = positionals;
if (file === undefined) throw new Error('usage: ort-builds.ts FILE.onnx [--runs 3] [--dims 1,3,378,378]');

const BUILDS = { plain: 'onnxruntime-web', 'webgpu bundle': 'onnxruntime-web/webgpu' } as const;

if (values.build === undefined) {
  // The parent: each build in a child of its own, in turn.
  for (const build of Object.keys(BUILDS)) {
    const args = [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      file,
      '--runs',
      values.runs,
      '--build',
      build,
    ];
    if (values.dims) args.push('--dims', values.dims);
    const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
    process.stdout.write(child.stdout || child.stderr);
  }
} else {
  const build = values.build as keyof typeof BUILDS;
  const ort = (await import(BUILDS[build])) as typeof import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  if (build === 'webgpu bundle')
    ort.env.wasm.wasmBinary = readFileSync(
      new URL(
        '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm',
        import.meta.url,
      ),
    );
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const fixed = values.dims?.split(',').map(Number);
  const feeds = Object.fromEntries(
    session.inputMetadata.flatMap((meta) => {
      if (!meta.isTensor || meta.type !== 'float32')
        throw new Error(`${meta.name}: only float32 inputs here`);
      const dims = fixed ?? meta.shape.map((d) => (typeof d === 'number' ? d : 1));
      const size = dims.reduce((a, b) => a * b, 1);
      return [[meta.name, new ort.Tensor('float32', new Float32Array(size).fill(0.1), dims)]];
    }),
  );
  const times: string[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push((performance.now() - start).toFixed(0));
  }
  console.log(`${build.padEnd(14)} ms per run, first to last: ${times.join(' ')}`);
}
