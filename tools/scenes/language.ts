/**
 * Words about a scene, made by rules from its symbolic description (as LLaVA made its instruction data
 * from captions and boxes with GPT-4): a caption, conversations of the paper's three kinds (conversation,
 * detailed description, reasoning) for training, and question–answer items for `glimpse eval`.
 */
import { createRng, type Rng } from '../../src/engine/sampler/rng';
import { KINDS, type Kind, leftToRight, type Place, positionOf, type Scene, type Shape } from './scene';

export interface Turn {
  readonly question: string;
  readonly answer: string;
}

export type ConversationKind = 'conversation' | 'detail' | 'reasoning';

export interface Conversation {
  readonly kind: ConversationKind;
  readonly turns: readonly Turn[];
}

export type EvalKind = 'colour' | 'kind' | 'count' | 'position' | 'description' | 'follow-up';

/** One line of an evaluation file (image path added by the writer). */
export interface EvalQuestion {
  readonly kind: EvalKind;
  /** Questions asked first in the same conversation; the model answers them itself. */
  readonly before?: readonly string[];
  readonly question: string;
  readonly answer: string;
  readonly choices?: readonly string[];
}

const NUMBERS = ['no', 'one', 'two', 'three'] as const;

const PHRASE: Record<Place, string> = {
  left: 'on the left',
  right: 'on the right',
  top: 'at the top',
  bottom: 'at the bottom',
  middle: 'in the middle',
};

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function name(shape: Shape): string {
  return `${shape.colour} ${shape.kind}`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function joined(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

function countOf(n: number, noun: string): string {
  if (n === 1) return `There is one ${noun}.`;
  return `There are ${NUMBERS[n] ?? String(n)} ${noun}s.`;
}

/** The one-sentence description: each shape with its place, left to right. */
export function caption(scene: Scene): string {
  const parts = leftToRight(scene).map((s) => `a ${name(s)} ${PHRASE[positionOf(scene, s).place]}`);
  return `${capitalised(joined(parts))}.`;
}

function detailedDescription(scene: Scene): string {
  const sentences = [countOf(scene.shapes.length, 'shape')];
  for (const s of leftToRight(scene))
    sentences.push(`The ${name(s)} is ${PHRASE[positionOf(scene, s).place]}.`);
  return sentences.join(' ');
}

const COLOUR_QUESTIONS = ['What colour is the shape?', 'What color is it?', 'What colour is it?'];
const KIND_QUESTIONS = ['What shape is it?', 'What shape is this?', 'What kind of shape is it?'];
const COUNT_QUESTIONS = ['How many shapes are there?', 'How many shapes are in the image?'];
const BRIEF_QUESTIONS = ['Describe the image.', 'Describe the image briefly.', 'What is in the picture?'];
const DETAIL_QUESTIONS = ['Describe the image in detail.', 'Describe the picture in detail.'];

function uniqueKind(scene: Scene, shape: Shape): boolean {
  return scene.shapes.filter((s) => s.kind === shape.kind).length === 1;
}

/** A question that singles out `shape`, with its answer; the conversation may follow it up with "it". */
interface FocusedTurn extends Turn {
  readonly focus?: Shape;
}

function colourTurn(rng: Rng, scene: Scene, shape: Shape): FocusedTurn | undefined {
  if (scene.shapes.length === 1)
    return { question: pick(rng, COLOUR_QUESTIONS), answer: `It is ${shape.colour}.`, focus: shape };
  if (!uniqueKind(scene, shape)) return undefined;
  const word = pick(rng, ['colour', 'color']);
  return {
    question: `What ${word} is the ${shape.kind}?`,
    answer: `The ${shape.kind} is ${shape.colour}.`,
    focus: shape,
  };
}

function kindTurn(rng: Rng, scene: Scene, shape: Shape): FocusedTurn {
  if (scene.shapes.length === 1)
    return { question: pick(rng, KIND_QUESTIONS), answer: `It is a ${shape.kind}.`, focus: shape };
  return {
    question: `What shape is the ${shape.colour} one?`,
    answer: `The ${shape.colour} one is a ${shape.kind}.`,
    focus: shape,
  };
}

function positionTurn(rng: Rng, scene: Scene, shape: Shape): FocusedTurn | undefined {
  const { place, clear } = positionOf(scene, shape);
  if (!clear) return undefined;
  if (rng() < 0.35) {
    const [a, b] = place === 'left' || place === 'right' ? ['left', 'right'] : ['top', 'bottom'];
    const options = rng() < 0.5 ? [a, b] : [b, a];
    const phrase = (p: string) => PHRASE[p as Place];
    return {
      question: `Is the ${name(shape)} ${phrase(options[0] ?? a)} or ${phrase(options[1] ?? b)}?`,
      answer: `It is ${PHRASE[place]}.`,
      focus: shape,
    };
  }
  const subject = rng() < 0.5 ? `${shape.colour} shape` : name(shape);
  return {
    question: `Where is the ${subject}?`,
    answer: `The ${subject} is ${PHRASE[place]}.`,
    focus: shape,
  };
}

function followUp(rng: Rng, scene: Scene, shape: Shape): Turn | undefined {
  const options: Turn[] = [
    {
      question: pick(rng, ['And what colour is it?', 'And what color is it?']),
      answer: `It is ${shape.colour}.`,
    },
    { question: 'And what shape is it?', answer: `It is a ${shape.kind}.` },
  ];
  const { place, clear } = positionOf(scene, shape);
  if (clear) options.push({ question: 'And where is it?', answer: `It is ${PHRASE[place]}.` });
  return pick(rng, options);
}

function reasoningTurn(rng: Rng, scene: Scene): Turn | undefined {
  const choice = rng();
  if (choice < 0.35) {
    const kind: Kind = pick(rng, KINDS);
    const n = scene.shapes.filter((s) => s.kind === kind).length;
    return {
      question: `How many ${kind}s are there?`,
      answer: n === 0 ? `There are no ${kind}s.` : countOf(n, kind),
    };
  }
  if (choice < 0.6) {
    const colour = pick(rng, [
      ...scene.shapes.map((s) => s.colour),
      'red',
      'blue',
      'green',
      'yellow',
      'purple',
      'orange',
    ]);
    const found = scene.shapes.find((s) => s.colour === colour);
    return {
      question: `Is there a ${colour} shape?`,
      answer: found ? `Yes, there is a ${name(found)}.` : `No, there is no ${colour} shape.`,
    };
  }
  if (scene.shapes.length < 2) return undefined;
  const [a, b] = [...scene.shapes].sort(() => rng() - 0.5);
  if (a === undefined || b === undefined) return undefined;
  const horizontal = rng() < 0.6;
  const gap = horizontal ? (b.cx - a.cx) / scene.width : (b.cy - a.cy) / scene.height;
  if (Math.abs(gap) < 0.15) return undefined;
  const winner = gap > 0 ? a : b;
  const relation = horizontal ? 'further left' : 'higher';
  return {
    question: `Which is ${relation}, the ${name(a)} or the ${name(b)}?`,
    answer: `The ${name(winner)} is ${relation}.`,
  };
}

function conversationTurn(rng: Rng, scene: Scene): FocusedTurn | undefined {
  const shape = pick(rng, scene.shapes);
  const choice = rng();
  if (choice < 0.25) return colourTurn(rng, scene, shape);
  if (choice < 0.5) return kindTurn(rng, scene, shape);
  if (choice < 0.65)
    return { question: pick(rng, COUNT_QUESTIONS), answer: countOf(scene.shapes.length, 'shape') };
  if (choice < 0.75) return { question: pick(rng, BRIEF_QUESTIONS), answer: caption(scene) };
  return positionTurn(rng, scene, shape);
}

function firstDefined<T>(make: () => T | undefined): T {
  for (;;) {
    const value = make();
    if (value !== undefined) return value;
  }
}

/** One training conversation about the scene, of a kind drawn with the paper's mix in mind. */
export function conversationFor(scene: Scene, seed: number): Conversation {
  const rng = createRng(seed);
  const draw = rng();
  if (draw < 0.15) {
    const turns: Turn[] = [{ question: pick(rng, DETAIL_QUESTIONS), answer: detailedDescription(scene) }];
    return { kind: 'detail', turns };
  }
  if (draw < 0.35) {
    const turns = [firstDefined(() => reasoningTurn(rng, scene))];
    if (rng() < 0.5) turns.push(firstDefined(() => reasoningTurn(rng, scene)));
    return { kind: 'reasoning', turns };
  }
  const turns: Turn[] = [];
  const length = 1 + Math.floor(rng() * 3);
  let focus: Shape | undefined;
  while (turns.length < length) {
    const follow = focus !== undefined && rng() < 0.5 ? followUp(rng, scene, focus) : undefined;
    if (follow) {
      turns.push(follow);
      focus = undefined;
      continue;
    }
    const turn = firstDefined(() => conversationTurn(rng, scene));
    turns.push({ question: turn.question, answer: turn.answer });
    focus = turn.focus;
  }
  return { kind: 'conversation', turns };
}

/** The held-out questions about a scene, each scored by exact words or by the choice it names. */
export function evalQuestionsFor(scene: Scene): EvalQuestion[] {
  const items: EvalQuestion[] = [];
  const [first] = scene.shapes;
  const single = scene.shapes.length === 1;
  if (first === undefined) return items;
  const count = NUMBERS[scene.shapes.length] ?? String(scene.shapes.length);
  items.push({ kind: 'count', question: 'How many shapes are there?', answer: count });
  items.push({ kind: 'description', question: 'Describe the image.', answer: caption(scene).slice(0, -1) });
  if (single) {
    items.push({ kind: 'colour', question: 'What colour is the shape?', answer: first.colour });
    items.push({ kind: 'kind', question: 'What shape is it?', answer: first.kind });
    items.push({
      kind: 'follow-up',
      before: ['What shape is it?'],
      question: 'And what colour is it?',
      answer: first.colour,
    });
  } else {
    for (const shape of scene.shapes) {
      items.push({ kind: 'kind', question: `What shape is the ${shape.colour} one?`, answer: shape.kind });
      if (uniqueKind(scene, shape)) {
        items.push({ kind: 'colour', question: `What colour is the ${shape.kind}?`, answer: shape.colour });
        if (positionOf(scene, shape).clear)
          items.push({
            kind: 'follow-up',
            before: [`Where is the ${shape.colour} shape?`],
            question: 'And what shape is it?',
            answer: shape.kind,
          });
      }
    }
  }
  for (const shape of scene.shapes) {
    const { place, clear } = positionOf(scene, shape);
    if (!clear) continue;
    items.push({ kind: 'position', question: `Where is the ${name(shape)}?`, answer: place });
    const pair = place === 'left' || place === 'right' ? ['left', 'right'] : ['top', 'bottom'];
    items.push({
      kind: 'position',
      question: `Is the ${name(shape)} ${PHRASE[pair[0] as Place]} or ${PHRASE[pair[1] as Place]}?`,
      choices: pair,
      answer: place,
    });
  }
  return items;
}
