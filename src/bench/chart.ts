/**
 * The benchmark chart: per backend, one bar per metric showing how many times better Glimpse is than
 * transformers.js (above 1: Glimpse wins), on a log scale so that 2× and ½× are equally long. An SVG
 * made here, converted to PNG with sharp for the README.
 */
import sharp from 'sharp';
import { type BenchReport, METRICS } from './report';

const BAR = 16;
const GAP = 4;
const GROUP_GAP = 22;
const LABEL_WIDTH = 150;
const PLOT_WIDTH = 460;
const TOP = 84;
const MARGIN = 16;
/** The log2 range drawn: ¼× to 4×; longer bars are clipped and marked by their value. */
const LOG_RANGE = 2;
const TARGET = 1.3;
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** x of a ratio on the plot: 1 in the middle, log2 scale, clipped to the range. */
export function ratioX(value: number): number {
  const clipped = Math.max(-LOG_RANGE, Math.min(LOG_RANGE, Math.log2(value)));
  return LABEL_WIDTH + ((clipped + LOG_RANGE) / (2 * LOG_RANGE)) * PLOT_WIDTH;
}

export function chartSvg(report: BenchReport): string {
  const groupHeight = METRICS.length * (BAR + GAP);
  const height = TOP + report.comparisons.length * (groupHeight + GROUP_GAP) + 40;
  const width = LABEL_WIDTH + PLOT_WIDTH + 90;
  const parts: string[] = [];
  const text = (x: number, y: number, content: string, extra = ''): void => {
    parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(content)}</text>`);
  };
  text(MARGIN, 22, 'Glimpse vs transformers.js, same model files', 'font-size="15" font-weight="bold"');
  text(MARGIN, 40, report.model, 'font-size="11"');
  text(
    MARGIN,
    56,
    'times better (log scale, > 1: Glimpse wins); dashed: the 1.3× decode target',
    'font-size="11"',
  );

  const plotBottom = height - 30;
  const one = ratioX(1);
  for (const tick of [0.25, 0.5, 1, 2, 4]) {
    const x = ratioX(tick);
    parts.push(
      `<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${plotBottom}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`,
    );
    text(x, plotBottom + 14, `${tick}×`, 'font-size="10" text-anchor="middle"');
  }
  const target = ratioX(TARGET);
  parts.push(
    `<line x1="${target}" y1="${TOP - 6}" x2="${target}" y2="${plotBottom}" stroke="#e45756" stroke-dasharray="4 3"/>`,
  );

  report.comparisons.forEach((comparison, group) => {
    const groupTop = TOP + group * (groupHeight + GROUP_GAP);
    text(MARGIN, groupTop - 4, comparison.backend, 'font-size="12" font-weight="bold"');
    METRICS.forEach((metric, i) => {
      const y = groupTop + i * (BAR + GAP);
      text(LABEL_WIDTH - 8, y + BAR - 4, metric.label, 'font-size="11" text-anchor="end"');
      const value = comparison.advantage[metric.key];
      if (value === undefined) {
        text(one + 6, y + BAR - 4, 'not measured', 'font-size="10" fill="#888"');
        return;
      }
      const x = ratioX(value);
      const left = Math.min(x, one);
      const color = COLORS[i % COLORS.length] ?? '#4c78a8';
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x - one)).toFixed(1)}" height="${BAR}" fill="${color}"/>`,
      );
      text(Math.max(x, one) + 4, y + BAR - 4, `${value.toFixed(2)}×`, 'font-size="10"');
    });
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
}
