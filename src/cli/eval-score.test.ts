import { describe, expect, it } from 'vitest';
import { parseEvalItems } from './eval-data';
import { accuracyOf, agreementOf, scoreReply, wordsOf } from './eval-score';

describe('exact-word scoring', () => {
  it('finds the answer as whole words, whatever the case and punctuation', () => {
    expect(scoreReply('It is Red.', 'red').correct).toBe(true);
    expect(scoreReply('The shapes: a red circle on the left!', 'a red circle on the left').correct).toBe(
      true,
    );
  });

  it('does not take part of a word, or the words out of order', () => {
    expect(scoreReply('It is reddish.', 'red').correct).toBe(false);
    expect(scoreReply('a circle red', 'red circle').correct).toBe(false);
    expect(scoreReply('', 'red').correct).toBe(false);
  });
});

describe('multiple-choice scoring', () => {
  it('takes the choice the reply names first', () => {
    expect(scoreReply('It is on the left.', 'left', ['left', 'right'])).toEqual({
      correct: true,
      picked: 'left',
    });
    expect(scoreReply('Right, not left.', 'left', ['left', 'right'])).toEqual({
      correct: false,
      picked: 'right',
    });
  });

  it('is wrong when the reply names no choice', () => {
    expect(scoreReply('It is a circle.', 'left', ['left', 'right'])).toEqual({ correct: false });
  });
});

describe('accuracy and agreement', () => {
  it('counts per kind and overall', () => {
    const accuracy = accuracyOf([
      { kind: 'colour', correct: true },
      { kind: 'colour', correct: false },
      { kind: 'count', correct: true },
    ]);
    expect(accuracy.byKind).toEqual({ colour: { correct: 1, total: 2 }, count: { correct: 1, total: 1 } });
    expect(accuracy.overall).toEqual({ correct: 2, total: 3 });
  });

  it('compares replies by their words and verdicts item by item', () => {
    const a = [
      { reply: 'It is red.', correct: true },
      { reply: 'It is blue.', correct: false },
    ];
    const b = [
      { reply: 'it is red', correct: true },
      { reply: 'It is green.', correct: false },
    ];
    expect(agreementOf(a, b)).toEqual({
      sameReply: { correct: 1, total: 2 },
      sameVerdict: { correct: 2, total: 2 },
    });
    expect(wordsOf('Two-shapes, 3!')).toEqual(['two', 'shapes', '3']);
  });
});

describe('the evaluation file', () => {
  it('reads both item forms, with image paths relative to the file', () => {
    const text = [
      '{"image": "a.png", "question": "What colour?", "answer": "red", "kind": "colour"}',
      '',
      '{"image": "b.jpg", "question": "Left or right?", "choices": ["left", "right"], "answer": "left", "before": ["What shape?"]}',
    ].join('\n');
    const items = parseEvalItems(text, '/data/set/eval.jsonl');
    expect(items).toEqual([
      { image: '/data/set/a.png', question: 'What colour?', answer: 'red', kind: 'colour', before: [] },
      {
        image: '/data/set/b.jpg',
        question: 'Left or right?',
        choices: ['left', 'right'],
        answer: 'left',
        kind: 'choice',
        before: ['What shape?'],
      },
    ]);
  });

  it('names the line of a broken item', () => {
    expect(() =>
      parseEvalItems('{"image": "a.png", "question": "Q", "answer": "x"}\nnot json', 'e.jsonl'),
    ).toThrow('e.jsonl, line 2: is not valid JSON.');
    expect(() => parseEvalItems('{"image": "a.png", "question": "Q"}', 'e.jsonl')).toThrow('needs "answer"');
    expect(() =>
      parseEvalItems(
        '{"image": "a.png", "question": "Q", "answer": "up", "choices": ["left", "right"]}',
        'e.jsonl',
      ),
    ).toThrow('the answer among them');
    expect(() => parseEvalItems('\n', 'e.jsonl')).toThrow('holds no items');
  });
});
