import { describe, expect, it } from 'vitest';
import { isReply, isRequest, type Request, transferablesOf } from './protocol';

const settings = { temperature: 0, topP: 1, maxNewTokens: 4 };

describe('protocol', () => {
  it('recognises requests and replies by their envelope and rejects stray messages', () => {
    expect(isRequest({ id: 1, kind: 'abort', payload: { requestId: 2 } })).toBe(true);
    expect(isRequest({ id: 1, kind: 'result', payload: { kind: 'done' } })).toBe(false);
    expect(isReply({ id: 1, kind: 'result', payload: { kind: 'done' } })).toBe(true);
    expect(isReply({ id: '1', kind: 'result', payload: {} })).toBe(false);
    expect(isReply({ source: 'react-devtools', payload: {} })).toBe(false);
    expect(isReply(null)).toBe(false);
  });

  it("moves a turn's image pixels to the worker instead of copying them", () => {
    const data = new Uint8ClampedArray(2 * 2 * 4);
    const request: Request = {
      id: 3,
      kind: 'send',
      payload: {
        conversationId: 'c',
        turn: { text: 'hi', images: [{ width: 2, height: 2, data }] },
        settings,
      },
    };
    expect(transferablesOf(request)).toEqual([data.buffer]);
  });

  it('copies the images of a preparation: the page keeps them until they are sent', () => {
    const data = new Uint8ClampedArray(2 * 2 * 4);
    const request: Request = {
      id: 3,
      kind: 'prepare',
      payload: { conversationId: 'c', images: [{ width: 2, height: 2, data }] },
    };
    expect(isRequest(request)).toBe(true);
    expect(transferablesOf(request)).toEqual([]);
  });

  it('copies rather than moves an image that is a view into a larger buffer', () => {
    const shared = new Uint8Array(64);
    const request: Request = {
      id: 4,
      kind: 'open-conversation',
      payload: {
        conversationId: 'c',
        systemPrompt: '',
        history: [
          { role: 'user', text: 'q', images: [{ width: 2, height: 2, data: shared.subarray(0, 16) }] },
        ],
      },
    };
    expect(transferablesOf(request)).toEqual([]);
  });

  it('survives structured cloning between threads unchanged', () => {
    const request: Request = { id: 5, kind: 'regenerate', payload: { conversationId: 'c', settings } };
    const cloned: unknown = structuredClone(request);
    expect(isRequest(cloned)).toBe(true);
    expect(cloned).toEqual(request);
  });
});
