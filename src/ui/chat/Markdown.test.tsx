import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown, StreamingMarkdown, safeUrl, streamingBlocks } from './Markdown';

const render = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe('Markdown', () => {
  it('renders the markdown a model writes: emphasis, lists, tables, code', () => {
    const html = render('**Two** boats\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n`code`');
    expect(html).toContain('<strong>Two</strong>');
    expect(html).toContain('<li>a</li>');
    expect(html).toContain('<table>');
    expect(html).toContain('<code>code</code>');
  });

  it('never renders raw HTML from an answer', () => {
    const html = render('Look <img src=x onerror="alert(1)"> here <script>alert(2)</script>');
    expect(html).not.toMatch(/<img|<script|onerror/);
  });

  it('drops javascript: and data: links and keeps http(s) and mailto ones, opened safely', () => {
    const html = render(
      '[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.org) [d](mailto:a@b.c)',
    );
    expect(html).not.toMatch(/javascript:|data:text/);
    expect(html).toContain('href="https://example.org"');
    expect(html).toContain('href="mailto:a@b.c"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  it('shows a markdown image as its alt text, so an answer cannot make the page fetch anything', () => {
    const html = render('![a cat](https://tracker.example/pixel.png)');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('tracker.example');
    expect(html).toContain('a cat');
  });
});

describe('streamingBlocks', () => {
  const answer = [
    'Two **boats** on the water.',
    '',
    '1. A red one',
    '',
    '   with a sail.',
    '2. A blue one',
    '',
    '```python',
    'boats = 2',
    '',
    'print(boats)',
    '```',
    '',
    '',
    '| boat | colour |',
    '|---|---|',
    '| one | red |',
    '',
    'That is all.',
  ].join('\n');

  it('cuts at blank lines, keeping a code fence and a list item’s indented paragraph whole', () => {
    const blocks = streamingBlocks(answer);
    expect(blocks.join('')).toBe(answer);
    expect(blocks.map((block) => block.trim().split('\n')[0])).toEqual([
      'Two **boats** on the water.',
      '1. A red one',
      '```python',
      '| boat | colour |',
      'That is all.',
    ]);
  });

  it('never changes a block once a later one has started, however the text grows', () => {
    const whole = streamingBlocks(answer);
    for (let length = 0; length <= answer.length; length++) {
      const blocks = streamingBlocks(answer.slice(0, length));
      expect(blocks.slice(0, -1)).toEqual(whole.slice(0, blocks.length - 1));
    }
  });

  it('renders a streaming answer as the whole answer renders, but for the breaks between blocks', () => {
    const squeeze = (html: string) => html.replace(/>\n+</g, '><');
    expect(squeeze(renderToStaticMarkup(<StreamingMarkdown text={answer} />))).toBe(squeeze(render(answer)));
  });
});

describe('safeUrl', () => {
  it('refuses relative and unknown-scheme URLs', () => {
    expect(safeUrl('/models/x')).toBe('');
    expect(safeUrl('vbscript:x')).toBe('');
    expect(safeUrl('http://example.org/a')).toBe('http://example.org/a');
  });
});
