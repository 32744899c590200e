/**
 * What a streaming answer costs to render per frame, rendered whole (`Markdown`) against by blocks
 * (`StreamingMarkdown`): a long markdown answer (paragraphs, lists, a table, code) is fed a few tokens a frame,
 * and each frame renders what React would render. Whole: the answer so far. By blocks: the blocks whose text
 * changed since the last frame (React.memo skips the rest), after cutting the text (`streamingBlocks`).
 * Both rendered to static markup in Node, so the figures are the parse and render work, not layout or paint.
 * `npx tsx tools/profile/markdown-stream.tsx [--sections 12] [--tokens-per-frame 3] [--runs 3]`
 */
import { parseArgs } from 'node:util';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown, streamingBlocks } from '../../src/ui/chat/Markdown';

const { values } = parseArgs({
  options: {
    sections: { type: 'string', default: '12' },
    'tokens-per-frame': { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
  },
});

/** One section of an answer of the kind a chat model writes: a heading, prose, a list, sometimes code or a table. */
function section(i: number): string {
  const parts = [
    `## Part ${i + 1}: what the picture shows`,
    `The image shows a **red circle** on the left and a *blue square* near the top right corner. The circle is ` +
      `about a third of the picture's height, and its edge is sharp against the light grey background, which ` +
      `has a faint noise to it. Nothing overlaps, so each shape can be described on its own (see [the notes]` +
      `(https://example.org/notes/${i})).`,
    '- The circle: red, left of centre, the largest shape.\n- The square: blue, top right, about half the ' +
      "circle's size.\n  It is tilted slightly, which may be the JPEG's blocks rather than the shape.\n- The " +
      'background: light grey, with mild noise.',
  ];
  if (i % 3 === 1) {
    parts.push(
      '```python\nfrom PIL import Image\n\nimage = Image.open("scene.png")\nfor x, y in [(10, 20), (40, 50)]:\n' +
        '    print(image.getpixel((x, y)))\n```',
    );
  }
  if (i % 3 === 2) {
    parts.push(
      '| shape | colour | where |\n|---|---|---|\n| circle | red | left |\n| square | blue | top right |',
    );
  }
  parts.push(
    `In short, ${i + 1} of the questions you might ask have clear answers here: the colours, the kinds and ` +
      'where each shape lies. How many shapes there are is two, and neither is a triangle.',
  );
  return parts.join('\n\n');
}

/** The answer cut into pieces about a token long: a word, or the spaces and punctuation before it. */
function tokens(text: string): string[] {
  return text.match(/\s*\S{1,4}/g) ?? [];
}

const answer = Array.from({ length: Number(values.sections) }, (_, i) => section(i)).join('\n\n');
const pieces = tokens(answer);
const perFrame = Number(values['tokens-per-frame']);

function render(text: string): number {
  const start = performance.now();
  renderToStaticMarkup(<Markdown text={text} />);
  return performance.now() - start;
}

interface Run {
  readonly total: number;
  readonly last: number;
  readonly p95: number;
}

function summary(frames: readonly number[]): Run {
  const sorted = [...frames].sort((a, b) => a - b);
  return {
    total: frames.reduce((a, b) => a + b, 0),
    last: frames.at(-1) ?? 0,
    p95: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
  };
}

function stream(byBlocks: boolean): Run {
  const frames: number[] = [];
  let previous: string[] = [];
  for (let end = perFrame; end < pieces.length + perFrame; end += perFrame) {
    const text = pieces.slice(0, end).join('');
    if (!byBlocks) {
      frames.push(render(text));
      continue;
    }
    const start = performance.now();
    const blocks = streamingBlocks(text);
    let ms = performance.now() - start;
    for (const [i, block] of blocks.entries()) if (block !== previous[i]) ms += render(block);
    previous = blocks;
    frames.push(ms);
  }
  return summary(frames);
}

console.log(
  `answer: ${answer.length} characters, ${pieces.length} tokens, ${streamingBlocks(answer).length} blocks; ` +
    `${perFrame} tokens a frame, ${Math.ceil(pieces.length / perFrame)} frames`,
);
const ms = (value: number) => `${value.toFixed(1).padStart(8)} ms`;
for (let run = 0; run < Number(values.runs); run++) {
  for (const byBlocks of [false, true]) {
    const { total, last, p95 } = stream(byBlocks);
    console.log(
      `run ${run + 1} ${(byBlocks ? 'by blocks' : 'whole').padEnd(9)}: all frames ${ms(total)}, ` +
        `frame p95 ${ms(p95)}, last frame ${ms(last)}`,
    );
  }
}
