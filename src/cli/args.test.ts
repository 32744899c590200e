import { describe, expect, it } from 'vitest';
import { parseCommand } from './args';
import { UsageError } from './options';

const ASK = ['ask', '--model', 'm', '--image', 'a.jpg'];

describe('parseCommand', () => {
  it('takes --dtype for every part, then PART=DTYPE for one, the later winning', () => {
    const command = parseCommand([...ASK, '--dtype', 'q4', '--dtype', 'vision_encoder=fp32', 'Q']);
    expect(command.dtype).toEqual({
      vision_encoder: 'fp32',
      projector: 'q4',
      embed_tokens: 'q4',
      decoder_model_merged: 'q4',
    });
    expect(parseCommand([...ASK, '--dtype', 'decoder_model_merged=q4', 'Q']).dtype).toEqual({
      decoder_model_merged: 'q4',
    });
    expect(parseCommand([...ASK, 'Q']).dtype).toBeUndefined();
  });

  it('names the parts and dtypes it knows when given another', () => {
    expect(() => parseCommand([...ASK, '--dtype', 'decoder=q4', 'Q'])).toThrow(
      /--dtype PART must be one of vision_encoder, .*, not 'decoder'/,
    );
    expect(() => parseCommand([...ASK, '--dtype', 'vision_encoder=q5', 'Q'])).toThrow(UsageError);
  });

  it("takes --cpu-threads as a count of 1 or more, else leaves the choice to the command's default", () => {
    expect(parseCommand([...ASK, '--cpu-threads', '2', 'Q']).cpuThreads).toBe(2);
    expect(parseCommand([...ASK, 'Q']).cpuThreads).toBeUndefined();
    expect(() => parseCommand([...ASK, '--cpu-threads', '0', 'Q'])).toThrow(
      "--cpu-threads takes an integer, 1 or more, not '0'.",
    );
    expect(() => parseCommand([...ASK, '--cpu-threads', '1.5', 'Q'])).toThrow(UsageError);
  });

  it('takes sampling options within the bounds that leave a token to sample, naming them otherwise', () => {
    const options = (...args: string[]) => parseCommand([...ASK, ...args, 'Q']).generate;
    expect(
      options('--top-p', '1', '--top-k', '0', '--temperature', '0', '--repetition-penalty', '1.1'),
    ).toEqual({
      topP: 1,
      topK: 0,
      temperature: 0,
      repetitionPenalty: 1.1,
    });
    expect(() => options('--top-p', '2')).toThrow("--top-p takes a number, above 0 and at most 1, not '2'.");
    expect(() => options('--top-p', '0')).toThrow(UsageError);
    expect(() => options('--repetition-penalty', '0')).toThrow(
      "--repetition-penalty takes a number, above 0, not '0'.",
    );
    expect(() => options('--temperature=-1')).toThrow("--temperature takes a number, 0 or more, not '-1'.");
    expect(() => options('--max-new-tokens', '0')).toThrow(
      "--max-new-tokens takes an integer, 1 or more, not '0'.",
    );
    expect(() => options('--draft-tokens=-1')).toThrow(UsageError);
  });

  it('asks follow-ups in order, and only in ask', () => {
    const command = parseCommand([...ASK, 'Q', '--follow-up', 'one', '--follow-up', 'two']);
    expect(command.followUps).toEqual(['one', 'two']);
    expect(() => parseCommand(['generate', '--model', 'm', '--follow-up', 'x', 'P'])).toThrow(
      /--follow-up is for ask/,
    );
  });
});
