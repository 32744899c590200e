import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartSvg, ratioX, svgToPng } from './chart';
import type { BenchReport, Ratios } from './report';

const none: Ratios = {
  loadMs: undefined,
  visionMs: undefined,
  prefillTokensPerSecond: undefined,
  timeToFirstTokenMs: undefined,
  decodeTokensPerSecond: undefined,
  turn5TimeToFirstTokenMs: undefined,
};

const report: BenchReport = {
  name: 'chart-test',
  date: '',
  machine: '',
  model: 'tiny <llava>',
  settings: {},
  results: [],
  failures: [],
  comparisons: [
    {
      backend: 'wasm',
      ratios: none,
      advantage: { ...none, decodeTokensPerSecond: 2, timeToFirstTokenMs: 0.5 },
    },
    { backend: 'cpu', ratios: none, advantage: { ...none, loadMs: 100 } },
  ],
};

describe('the chart', () => {
  it('puts 1× in the middle and 2× and ½× equally far on either side, clipping beyond 4×', () => {
    const one = ratioX(1);
    expect(ratioX(2) - one).toBeCloseTo(one - ratioX(0.5));
    expect(ratioX(100)).toBe(ratioX(4));
  });

  it('draws a labelled bar per measured metric and says which were not measured', () => {
    const svg = chartSvg(report);
    expect(svg).toContain('tiny &lt;llava&gt;');
    expect(svg).toContain('2.00×');
    expect(svg).toContain('0.50×');
    expect(svg).toContain('100.00×');
    expect(svg.match(/<rect /g)?.length).toBe(1 + 3);
    expect(svg.match(/not measured/g)?.length).toBe(12 - 3);
  });

  it('converts to a PNG of the SVG size at double density', async () => {
    const svg = chartSvg(report);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const meta = await sharp(await svgToPng(svg)).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(width * 2);
  });
});
