/** Writes a report as bench/results/<name>.json, <name>.svg and <name>.png (Node only). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartSvg, svgToPng } from './chart';
import type { BenchReport } from './report';

export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, report.name);
  const svg = chartSvg(report);
  const paths = [`${base}.json`, `${base}.svg`, `${base}.png`];
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.svg`, svg);
  await writeFile(`${base}.png`, await svgToPng(svg));
  return paths;
}
