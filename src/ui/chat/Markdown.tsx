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
