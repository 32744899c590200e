/** The download bar a Hub model shows on stderr while its files arrive (cli-progress; silent off a TTY). */
import { Presets, SingleBar } from 'cli-progress';
import type { LoadProgress } from '../engine/types';

export function downloadBar(stream: NodeJS.WritableStream = process.stderr): {
  update(progress: LoadProgress): void;
  stop(): void;
} {
  const bar = new SingleBar(
    {
      stream,
      format: 'Downloading {bar} {percentage}% | {value}/{total} MB | {file}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    update(progress) {
      if (progress.phase !== 'download' || progress.totalBytes === undefined) return;
      const payload = { file: progress.file ?? '' };
      if (!started) bar.start(mb(progress.totalBytes), 0, payload);
      started = true;
      bar.setTotal(mb(progress.totalBytes));
      bar.update(mb(progress.loadedBytes), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
