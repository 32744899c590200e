/** One overall byte count across all files of a load, for a single progress figure. */
import type { LoadProgress } from '../types';

export class LoadProgressTracker {
  private readonly files = new Map<string, { loaded: number; total: number | undefined }>();
  private readonly emit: ((progress: LoadProgress) => void) | undefined;

  constructor(emit: ((progress: LoadProgress) => void) | undefined) {
    this.emit = emit;
  }

  /** The callback a PackageReader reports one file's bytes to. */
  track(file: string): (loaded: number, total: number | undefined) => void {
    return (loaded, total) => {
      this.files.set(file, { loaded, total });
      this.report('download', file);
    };
  }

  /** A file that turned out not to exist no longer counts. */
  forget(file: string): void {
    this.files.delete(file);
  }

  finish(file: string, size: number): void {
    this.files.set(file, { loaded: size, total: size });
    this.report('download', file);
  }

  report(phase: LoadProgress['phase'], file?: string): void {
    if (!this.emit) return;
    let loadedBytes = 0;
    let totalBytes: number | undefined = 0;
    for (const entry of this.files.values()) {
      loadedBytes += entry.loaded;
      totalBytes =
        totalBytes === undefined || entry.total === undefined ? undefined : totalBytes + entry.total;
    }
    this.emit(
      file === undefined ? { phase, loadedBytes, totalBytes } : { phase, file, loadedBytes, totalBytes },
    );
  }
}
