import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown, safeUrl } from './Markdown';

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

describe('safeUrl', () => {
  it('refuses relative and unknown-scheme URLs', () => {
    expect(safeUrl('/models/x')).toBe('');
    expect(safeUrl('vbscript:x')).toBe('');
    expect(safeUrl('http://example.org/a')).toBe('http://example.org/a');
  });
});
