/**
 * `glimpse convert --from DIR --to DIR [--dtype …] [--block-size N]`: a Hugging Face checkpoint folder to a
 * Glimpse model package, with progress per tensor on stderr and a summary of sizes per part on stdout.
 * The conversion itself lives in the model toolkit (src/toolkit/convert).
 */
import { formatBytes } from '../storage/quota';
import {
  type ConvertEvent,
  type ConvertOptions,
  type ConvertSummary,
  convertCheckpoint,
} from '../toolkit/convert/convert';
import { ConvertError } from '../toolkit/convert/convert-error';
import { PACKAGE_DTYPES } from '../toolkit/decoder/linears';
import { Q4_BLOCK_SIZES } from '../toolkit/quantize/matmulnbits';
import type { CliIo } from './main';
import { oneOf, parseOptions, UsageError } from './options';

export const CONVERT_USAGE = `Usage:
  glimpse convert --from DIR --to DIR [--dtype fp32|fp16|q4|q4f16|quantized|int8] [--block-size N]

  --from DIR   a Hugging Face checkpoint folder: config.json, *.safetensors (or shards with
               model.safetensors.index.json), tokenizer.json and the processor files
               (LlavaForConditionalGeneration with a CLIP or SigLIP tower; Llama, Mistral or Qwen2
               causal LMs for a text-only package)
  --to DIR     the package folder to write (onnx/ files are added beside those already there)
  --dtype      fp32 (default), fp16, q4 (4-bit MatMulNBits, float32 activations), q4f16, quantized or
               int8 (8-bit MatMulInteger, uint8 or int8 weights: the fastest on the wasm backend)
               (fp16 and q4f16 need a GPU with shader-f16 under WebGPU)
  --block-size q4 and q4f16: weights per scale and zero point, 16, 32 (default, as the Hub's
               exports), 64 or 128; smaller blocks are closer to the float model and larger
               (at 16, fp32 scales add 2 bits a weight, against 1 at 32)`;

function progressLine(event: ConvertEvent): string {
  switch (event.type) {
    case 'start': {
      const { spec } = event;
      const what =
        spec.kind === 'llava'
          ? `LLaVA: ${spec.llava.vision.modelType} + ${spec.llava.text.modelType}`
          : `${spec.text.modelType} causal LM`;
      return `${what}; checkpoint ${formatBytes(event.checkpointBytes)}`;
    }
    case 'tensor': {
      const percent = Math.round((100 * event.readBytes) / Math.max(1, event.totalBytes));
      return `  [${event.part}] ${event.name} ${formatBytes(event.bytes)} · read ${formatBytes(event.readBytes)} of ${formatBytes(event.totalBytes)} (${percent}%)`;
    }
    case 'part':
      return event.files.map((f) => `wrote ${f.path} (${formatBytes(f.bytes)})`).join('\n');
  }
}

export function formatSummary(summary: ConvertSummary): string {
  const lines = [`Package (${summary.dtype}):`];
  let total = 0;
  for (const { part, files } of summary.parts) {
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    total += bytes;
    const extra = files.length > 1 ? ` in ${files.length} files` : '';
    lines.push(`  ${part.padEnd(22)} ${formatBytes(bytes).padStart(9)}${extra}`);
  }
  lines.push(`  ${'total'.padEnd(22)} ${formatBytes(total).padStart(9)}`);
  lines.push(`Copied: ${summary.copied.join(', ')}`);
  for (const note of summary.notes) lines.push(`Note: ${note}`);
  return `${lines.join('\n')}\n`;
}

type ConvertArgs = Omit<ConvertOptions, 'onEvent' | 'limits'>;

function parseConvertArgs(argv: readonly string[]): ConvertArgs | 'help' {
  const { values } = parseOptions({
    args: [...argv],
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      dtype: { type: 'string' },
      'block-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const dtype = oneOf(PACKAGE_DTYPES, values.dtype ?? 'fp32', 'dtype');
  const blockSize = values['block-size'];
  const q4BlockSize = Q4_BLOCK_SIZES.find((size) => String(size) === blockSize);
  if (blockSize !== undefined && q4BlockSize === undefined)
    throw new UsageError(`--block-size must be one of ${Q4_BLOCK_SIZES.join(', ')}, not '${blockSize}'.`);
  // Only 4-bit weights come in blocks; a size given with another dtype would be silently dropped.
  if (blockSize !== undefined && dtype !== 'q4' && dtype !== 'q4f16')
    throw new UsageError(`--block-size applies to --dtype q4 and q4f16 only, not ${dtype}.`);
  if (!values.from || !values.to) throw new UsageError('--from and --to are required.');
  return { from: values.from, to: values.to, dtype, ...(q4BlockSize === undefined ? {} : { q4BlockSize }) };
}

/** Runs `glimpse convert` with the arguments after the command name; returns the exit code. */
export async function runConvert(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ConvertArgs;
  try {
    const parsed = parseConvertArgs(argv);
    if (parsed === 'help') {
      io.stdout(`${CONVERT_USAGE}\n`);
      return 0;
    }
    args = parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`glimpse convert: ${err.message}\n\n${CONVERT_USAGE}\n`);
    return 2;
  }
  try {
    const summary = await convertCheckpoint({
      ...args,
      onEvent: (event) => io.stderr(`${progressLine(event)}\n`),
    });
    io.stdout(formatSummary(summary));
    return 0;
  } catch (err) {
    // A ConvertError says what the checkpoint lacks; anything else (a file that cannot be read) shows its stack.
    const detail = err instanceof ConvertError || !(err instanceof Error) ? '' : `\n${err.stack ?? ''}`;
    io.stderr(`glimpse convert: ${err instanceof Error ? err.message : String(err)}${detail}\n`);
    return 1;
  }
}
