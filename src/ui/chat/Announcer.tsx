import { useEffect, useRef, useState } from 'react';
import { useAppState } from '../app-context';

/**
 * What a screen reader hears of an answer: that it started, then the whole answer once it is done, never
 * token by token (the conversation itself is not a live region).
 */
export function Announcer() {
  const generating = useAppState((s) => s.generation !== undefined);
  const last = useAppState((s) => s.active?.messages.at(-1));
  const [said, setSaid] = useState('');
  const wasGenerating = useRef(false);

  useEffect(() => {
    if (generating && !wasGenerating.current) setSaid('Answering…');
    if (!generating && wasGenerating.current && last?.role === 'assistant') {
      setSaid(last.error ? `The answer failed. ${last.error.message}` : `Answer: ${last.text}`);
    }
    wasGenerating.current = generating;
  }, [generating, last]);

  return (
    <div className="visually-hidden" role="status" aria-live="polite" data-testid="announcer">
      {said}
    </div>
  );
}
