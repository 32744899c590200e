import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

const safeProtocols = ['http:', 'https:', 'mailto:'];

/** Only http(s) and mailto links survive; anything else (javascript:, data:, relative) is dropped. */
export function safeUrl(url: string): string {
  try {
    return safeProtocols.includes(new URL(url).protocol) ? url : '';
  } catch {
    return '';
  }
}

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ alt }) => <span className="image-alt">{alt}</span>,
};

/**
 * A model answer as markdown. Raw HTML in the answer is shown as nothing (react-markdown never renders
 * it), and images are shown as their alt text so an answer can never make the page fetch anything.
 */
export const Markdown = memo(function Markdown({ text }: { readonly text: string }) {
  return (
    <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml urlTransform={safeUrl} components={components}>
      {text}
    </ReactMarkdown>
  );
});

const fenceOpening = /^ {0,3}(`{3,}|~{3,})/;

/**
 * A streaming answer cut into blocks that never change once a later one starts: a cut goes before a line that
 * follows a blank line, outside a code fence, and starts unindented (an indented one may continue a list item).
 * Joined, the blocks are the text.
 */
export function streamingBlocks(text: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  let offset = 0;
  let fence: string | undefined;
  let afterBlank = false;
  for (const line of text.split('\n')) {
    if (fence) {
      const closing = line.trim();
      if (closing.startsWith(fence) && /^(`+|~+)$/.test(closing)) fence = undefined;
    } else if (line.trim() === '') afterBlank = true;
    else {
      if (afterBlank && offset > start && /^\S/.test(line)) {
        blocks.push(text.slice(start, offset));
        start = offset;
      }
      afterBlank = false;
      fence = fenceOpening.exec(line)?.[1];
    }
    offset += line.length + 1;
  }
  blocks.push(text.slice(start));
  return blocks;
}

/**
 * An answer while it streams, as its blocks: a finished block is rendered once and kept, so each frame parses
 * only the block being written rather than the whole answer. Once whole, the answer is rendered as one text
 * (a list cut by a blank line, or a link defined in a later block, then takes its final form).
 */
export function StreamingMarkdown({ text }: { readonly text: string }) {
  return streamingBlocks(text).map((block, index) => (
    // Blocks before the last never change, so their place is their identity.
    // biome-ignore lint/suspicious/noArrayIndexKey: see above
    <Markdown key={index} text={block} />
  ));
}
