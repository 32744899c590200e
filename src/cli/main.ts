/**
 * `glimpse`: the engine in Node. `ask` answers a question about an image, `generate` continues a text;
 * the answer streams to stdout, or `--json` prints one object with the text, token ids and timings (one
 * line per answer where `ask` has follow-up questions).
 */
import { type GenerateEvent, GlimpseError, type LoadProgress, loadModel } from '../engine/index';
import { deviceClass, MODEL_PARTS } from '../engine/model/files';
import { folderHasFile, folderReader } from '../engine/node/folder-reader';
import { type Command, parseCommand, USAGE } from './args';
import { cacheFolder, hubEndpoint, hubModelId, openHubModel } from './hub-model';
import { decodeImageFile } from './image';
import { UsageError } from './options';
import { defaultCpuThreads, loadRuntime } from './ort';
import { downloadBar } from './progress';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs one command line; returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  // Commands with their own options and modules, loaded only when asked for.
  if (argv[0] === 'bench') return (await import('./bench')).runBench(argv.slice(1), io);
  if (argv[0] === 'convert') return (await import('./convert')).runConvert(argv.slice(1), io);
  if (argv[0] === 'eval') return (await import('./eval')).runEval(argv.slice(1), io);
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    io.stdout(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    await run(parseCommand(argv), io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`glimpse: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const error = GlimpseError.from(err);
    io.stderr(`glimpse: ${error.message}${dtypeHint(error)}\n`);
    if (error.code === 'internal' && error.cause instanceof Error && error.cause.stack)
      io.stderr(`${error.cause.stack}\n`);
    return 1;
  }
}

async function run(command: Command, io: CliIo): Promise<void> {
  const images = await Promise.all(command.images.map((file) => decodeImageFile(file)));
  const dtype = command.dtype;
  const hubId = await hubModelId(command.model);
  const hub =
    hubId &&
    (await openHubModel(hubId, {
      endpoint: hubEndpoint(command.hubEndpoint, process.env),
      cacheDir: cacheFolder(process.env),
      device: deviceClass(command.backend, false),
    }));
  const bar = hub ? downloadBar() : undefined;
  const reader = hub ? hub.reader : folderReader(command.model);
  const runtime = await loadRuntime(
    command.backend,
    hub ? async (path) => hub.files.includes(path) : folderHasFile(command.model),
  );
  const { draftTokens } = command.generate;
  const model = await loadModel(runtime.ort, reader, {
    backend: command.backend,
    graphCapture: runtime.graphCapture,
    // The captured step is built for as many draft tokens as the command asks for.
    ...(draftTokens === undefined ? {} : { draftTokens }),
    ...(command.cpuAttention ? { cpuAttention: command.cpuAttention } : {}),
    cpuThreads: command.cpuThreads ?? defaultCpuThreads(),
    ...(command.replayEveryStep ? { replayEveryStep: true } : {}),
    // The parts the command line leaves out keep what the Hub download planned, if anything.
    ...(hub || dtype ? { dtype: { ...hub?.dtype, ...dtype } } : {}),
    ...(bar ? { onProgress: (progress: LoadProgress) => bar.update(progress) } : {}),
  }).finally(() => bar?.stop());
  try {
    const print = async (events: AsyncIterable<GenerateEvent>) => {
      for await (const event of events) {
        if (event.type === 'delta') {
          if (!command.json) io.stdout(event.text);
        } else if (command.json) {
          const { text, tokenIds, reason, stats } = event;
          const info = { ...model.info, runtime: runtime.name };
          io.stdout(`${JSON.stringify({ text, tokenIds, reason, stats, model: info })}\n`);
        } else {
          io.stdout('\n');
        }
      }
    };
    if (command.kind === 'generate') {
      await print(model.complete(command.prompt, command.generate));
      return;
    }
    const conversation = model.createConversation(
      command.system === undefined ? {} : { systemPrompt: command.system },
    );
    await print(
      conversation.send(
        images.length > 0 ? { text: command.prompt, images } : { text: command.prompt },
        command.generate,
      ),
    );
    for (const text of command.followUps) await print(conversation.send({ text }, command.generate));
  } finally {
    await model.dispose();
  }
}

/** A bare `--dtype DTYPE` names every part; a package may have that dtype of some parts only. */
function dtypeHint(error: GlimpseError): string {
  const { file, dtype } = error.details ?? {};
  if (error.code !== 'package-file-missing' || typeof file !== 'string' || typeof dtype !== 'string')
    return '';
  const part = MODEL_PARTS.find((name) => file.startsWith(`onnx/${name}`));
  return part
    ? ` Name the dtype of each part that has it, e.g. --dtype decoder_model_merged=${dtype}, and leave ${part} to the backend's choice.`
    : '';
}
