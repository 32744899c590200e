import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from './stop-strings';

function run(stops: string[], deltas: string[]) {
  const matcher = new StopStringMatcher(stops);
  const shown: string[] = [];
  for (const delta of deltas) {
    const step = matcher.push(delta);
    shown.push(step.text);
    if (step.stopped) return { shown, stopped: step.stopString };
  }
  shown.push(matcher.flush());
  return { shown, stopped: undefined };
}

describe('StopStringMatcher', () => {
  it('stops at a stop string split over deltas and drops it from the answer', () => {
    const { shown, stopped } = run(['USER:'], ['A cat.', ' US', 'ER', ': next']);
    expect(stopped).toBe('USER:');
    expect(shown.join('')).toBe('A cat. ');
  });

  it('holds back only a possible start of a stop string', () => {
    const matcher = new StopStringMatcher(['\n\nHuman']);
    expect(matcher.push('Hello\n').text).toBe('Hello');
    expect(matcher.push('\nHu').text).toBe('');
    expect(matcher.push('mm, no').text).toBe('\n\nHumm, no');
  });

  it('passes everything through when the text ends for another reason', () => {
    const { shown, stopped } = run(['###'], ['a #', '#']);
    expect(stopped).toBeUndefined();
    expect(shown.join('')).toBe('a ##');
  });

  it('stops at the earliest of several stop strings', () => {
    const matcher = new StopStringMatcher(['END', 'ST']);
    expect(matcher.push('one STOP and END')).toEqual({ text: 'one ', stopped: true, stopString: 'ST' });
  });

  it('with no stop strings emits each delta at once', () => {
    const matcher = new StopStringMatcher([]);
    expect(matcher.push('abc')).toEqual({ text: 'abc', stopped: false });
  });
});
