/**
 * `glimpse eval --model DIR --data FILE.jsonl [--dtype LIST] [--backend …] [--json]`: asks a model
 * package every question of an evaluation file (greedy decoding) and reports accuracy per question kind,
 * each dtype side by side, with the items where they differ and how often they agree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Backend,
  CPU_ATTENTION_KINDS,
  type CpuAttentionKind,
  type Dtype,
  GlimpseError,
  loadModel,
  type RgbaImage,
} from '../engine/index';
import { DTYPES, partFile } from '../engine/model/files';
import { folderReader } from '../engine/node/folder-reader';
import { EvalDataError, type EvalItem, readEvalItems } from './eval-data';
import { type Accuracy, type Agreement, accuracyOf, agreementOf, percent, scoreReply } from './eval-score';
import { decodeImageFile } from './image';
import type { CliIo } from './main';
import { COUNT, listOf, numberOption, oneOf, parseOptions, UsageError } from './options';
import { defaultCpuThreads, loadOrt } from './ort';

export const EVAL_USAGE = `Usage:
  glimpse eval --model DIR --data FILE.jsonl [--dtype LIST] [--backend NAME] [--cpu-attention KIND]
               [--draft-tokens N] [--json]

  --data FILE.jsonl   one item a line: {"image", "question", "answer"} (right when the answer's words
                      appear in the reply) or {"image", "question", "choices", "answer"} (right when the
                      choice the reply names first is the answer); optional "kind" groups the accuracy,
                      optional "before" lists questions asked first in the same conversation
  --dtype LIST        comma-separated dtypes to compare (default: every dtype of decoder the package has)
  --backend NAME      wasm (default), cpu or webgpu
  --cpu-attention KIND  group-query or two-part: the static decoder's attention on cpu and wasm (default
                      two-part)
  --max-new-tokens N  per answer (default 128: a one-sentence description fits); decoding is greedy
  --draft-tokens N    draft tokens per decoder run (default: the backend's); the report says how many came
                      true, per run that carried any, on the model's own answers
  --json              one JSON object: items with each dtype's reply, accuracy, agreement`;

const BACKENDS: readonly Backend[] = ['wasm', 'cpu', 'webgpu'];

interface EvalCommand {
  readonly model: string;
  readonly data: string;
  readonly dtypes: readonly Dtype[];
  readonly backend: Backend;
  readonly cpuAttention: CpuAttentionKind | undefined;
  readonly maxNewTokens: number;
  readonly draftTokens: number | undefined;
  readonly json: boolean;
}

function dtypesIn(model: string): Dtype[] {
  return DTYPES.filter((dtype) => existsSync(join(model, partFile('decoder_model_merged', dtype))));
}

function parseEvalCommand(argv: readonly string[]): EvalCommand {
  const { values, positionals } = parseOptions({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      dtype: { type: 'string' },
      backend: { type: 'string' },
      'cpu-attention': { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'draft-tokens': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
  if (!values.model) throw new UsageError('--model DIR is required.');
  if (!values.data) throw new UsageError('--data FILE.jsonl is required.');
  const dtypes = values.dtype === undefined ? dtypesIn(values.model) : listOf(DTYPES, values.dtype, 'dtype');
  if (dtypes.length === 0) throw new UsageError(`${values.model} has no decoder_model_merged file.`);
  const attention = values['cpu-attention'];
  return {
    model: values.model,
    data: values.data,
    dtypes,
    backend: values.backend === undefined ? 'wasm' : oneOf(BACKENDS, values.backend, 'backend'),
    cpuAttention:
      attention === undefined ? undefined : oneOf(CPU_ATTENTION_KINDS, attention, 'cpu-attention'),
    maxNewTokens: numberOption(values['max-new-tokens'], 'max-new-tokens', COUNT) ?? 128,
    draftTokens: numberOption(values['draft-tokens'], 'draft-tokens', { integer: true, min: 0 }),
    json: values.json ?? false,
  };
}

interface DtypeRun {
  readonly dtype: Dtype;
  readonly replies: readonly {
    readonly reply: string;
    readonly correct: boolean;
    readonly picked?: string;
  }[];
  readonly accuracy: Accuracy;
  readonly seconds: number;
  /** Summed over every answer: decoder steps after the first token, and the draft tokens' tally. */
  readonly decoding: { steps: number; fed: number; accepted: number; runs: number };
}

async function answerAll(
  command: EvalCommand,
  dtype: Dtype,
  items: readonly EvalItem[],
  images: ReadonlyMap<string, RgbaImage>,
): Promise<DtypeRun> {
  const started = performance.now();
  const ort = await loadOrt(command.backend);
  const model = await loadModel(ort, folderReader(command.model), {
    backend: command.backend,
    cpuThreads: defaultCpuThreads(),
    ...(command.cpuAttention ? { cpuAttention: command.cpuAttention } : {}),
    dtype: { vision_encoder: dtype, projector: dtype, embed_tokens: dtype, decoder_model_merged: dtype },
  });
  const options = {
    temperature: 0,
    maxNewTokens: command.maxNewTokens,
    ...(command.draftTokens === undefined ? {} : { draftTokens: command.draftTokens }),
  };
  const replies: DtypeRun['replies'][number][] = [];
  const decoding = { steps: 0, fed: 0, accepted: 0, runs: 0 };
  try {
    for (const item of items) {
      const image = images.get(item.image);
      const conversation = model.createConversation();
      let reply = '';
      for (const [turn, text] of [...item.before, item.question].entries()) {
        reply = '';
        const events = conversation.send(turn === 0 && image ? { text, images: [image] } : { text }, options);
        for await (const event of events) {
          if (event.type !== 'done') continue;
          reply = event.text;
          decoding.steps += event.stats.decodeSteps?.steps ?? 0;
          decoding.fed += event.stats.drafts?.fed ?? 0;
          decoding.accepted += event.stats.drafts?.accepted ?? 0;
          decoding.runs += event.stats.drafts?.runs ?? 0;
        }
      }
      conversation.dispose();
      replies.push({ reply, ...scoreReply(reply, item.answer, item.choices) });
    }
  } finally {
    await model.dispose();
  }
  const accuracy = accuracyOf(
    items.map((item, i) => ({ kind: item.kind, correct: replies[i]?.correct ?? false })),
  );
  return { dtype, replies, accuracy, seconds: (performance.now() - started) / 1000, decoding };
}

function kindsOf(items: readonly EvalItem[]): string[] {
  return [...new Set(items.map((item) => item.kind))];
}

function formatReport(
  items: readonly EvalItem[],
  runs: readonly DtypeRun[],
  agreement: ReadonlyMap<Dtype, Agreement>,
): string {
  const lines: string[] = ['Items:'];
  const width = Math.max(...runs.map((run) => run.dtype.length));
  items.forEach((item, i) => {
    const before = item.before.length > 0 ? `${item.before.join(' / ')} / ` : '';
    lines.push(
      `  [${item.kind}] ${item.image.split('/').at(-1)} · ${before}${item.question} · expected: ${item.answer}`,
    );
    for (const run of runs) {
      const r = run.replies[i];
      lines.push(
        `    ${run.dtype.padEnd(width)} ${r?.correct ? 'right' : 'WRONG'}  ${JSON.stringify(r?.reply ?? '')}`,
      );
    }
  });
  const column = (text: string) => text.padEnd(22);
  lines.push('', `Accuracy      ${runs.map((run) => column(run.dtype)).join('')}`);
  for (const kind of [...kindsOf(items), 'overall']) {
    const cells = runs.map((run) => {
      const tally = kind === 'overall' ? run.accuracy.overall : run.accuracy.byKind[kind];
      return column(tally ? `${percent(tally)} (${tally.correct}/${tally.total})` : '–');
    });
    lines.push(`  ${kind.padEnd(12)}${cells.join('')}`);
  }
  for (const [dtype, a] of agreement) {
    lines.push(
      `Agreement ${runs[0]?.dtype} vs ${dtype}: same reply ${percent(a.sameReply)} (${a.sameReply.correct}/${a.sameReply.total}), same verdict ${percent(a.sameVerdict)}`,
    );
  }
  for (const { dtype, decoding } of runs) {
    const { steps, fed, accepted, runs: carried } = decoding;
    if (fed === 0) continue;
    lines.push(
      `Drafts ${dtype}: ${accepted} of ${fed} came true (${((accepted / fed) * 100).toFixed(1)}%), ` +
        `${(accepted / carried).toFixed(2)} per run of the ${carried} that carried drafts, in ${steps} decoder steps`,
    );
  }
  lines.push(`Time: ${runs.map((run) => `${run.dtype} ${run.seconds.toFixed(1)} s`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export async function runEval(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${EVAL_USAGE}\n`);
    return 0;
  }
  let command: EvalCommand;
  try {
    command = parseEvalCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`glimpse eval: ${err.message}\n\n${EVAL_USAGE}\n`);
    return 2;
  }
  try {
    const items = await readEvalItems(command.data);
    const images = new Map<string, RgbaImage>();
    for (const item of items) {
      if (!images.has(item.image)) images.set(item.image, await decodeImageFile(item.image));
    }
    const runs: DtypeRun[] = [];
    for (const dtype of command.dtypes) {
      const run = await answerAll(command, dtype, items, images);
      io.stderr(`glimpse eval: ${dtype} answered ${items.length} items in ${run.seconds.toFixed(1)} s\n`);
      runs.push(run);
    }
    const [reference, ...others] = runs;
    const agreement = new Map<Dtype, Agreement>();
    if (reference)
      for (const run of others) agreement.set(run.dtype, agreementOf(reference.replies, run.replies));
    if (command.json) {
      const report = {
        model: command.model,
        data: command.data,
        backend: command.backend,
        cpuAttention: command.cpuAttention ?? null,
        dtypes: command.dtypes,
        items: items.map((item, i) => ({
          ...item,
          replies: Object.fromEntries(runs.map((run) => [run.dtype, run.replies[i]])),
        })),
        accuracy: Object.fromEntries(runs.map((run) => [run.dtype, run.accuracy])),
        agreement: Object.fromEntries(agreement),
        seconds: Object.fromEntries(runs.map((run) => [run.dtype, run.seconds])),
        decoding: Object.fromEntries(runs.map((run) => [run.dtype, run.decoding])),
      };
      io.stdout(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout(formatReport(items, runs, agreement));
    }
    return 0;
  } catch (err) {
    const message = err instanceof EvalDataError ? err.message : GlimpseError.from(err).message;
    io.stderr(`glimpse eval: ${message}\n`);
    return 1;
  }
}
