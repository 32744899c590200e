import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { hubPackageUrl, parseHubLocation } from './hub-source';

describe('Hub locations', () => {
  it('turns a repository id into its resolve URL on the Hub', () => {
    expect(parseHubLocation('llava-hf/llava-interleave-qwen-0.5b-hf')).toEqual({
      id: 'llava-hf/llava-interleave-qwen-0.5b-hf',
      revision: 'main',
      baseUrl: 'https://huggingface.co/llava-hf/llava-interleave-qwen-0.5b-hf/resolve/main/',
      endpoint: 'https://huggingface.co',
    });
  });

  it('takes a revision after @ and a mirror host with the same layout', () => {
    expect(
      parseHubLocation('Xenova/nanoLLaVA@refs/pr/1', { host: 'https://hf-mirror.example' }).baseUrl,
    ).toBe('https://hf-mirror.example/Xenova/nanoLLaVA/resolve/refs%2Fpr%2F1/');
  });

  it('reads repository pages and resolve URLs pasted from a browser', () => {
    expect(
      parseHubLocation('https://huggingface.co/onnx-community/FastVLM-0.5B-ONNX/tree/main').baseUrl,
    ).toBe('https://huggingface.co/onnx-community/FastVLM-0.5B-ONNX/resolve/main/');
    expect(
      parseHubLocation('https://mirror.example/Xenova/nanoLLaVA/resolve/603bc22/onnx/embed_tokens.onnx'),
    ).toEqual({
      id: 'Xenova/nanoLLaVA',
      revision: '603bc22',
      baseUrl: 'https://mirror.example/Xenova/nanoLLaVA/resolve/603bc22/',
      endpoint: 'https://mirror.example',
    });
  });

  it('keeps any other https folder as it is', () => {
    expect(parseHubLocation('https://cdn.example/models/my-llava/').baseUrl).toBe(
      'https://cdn.example/models/my-llava/',
    );
  });

  it('refuses plain http elsewhere and names that are not repository ids', () => {
    expect(() => parseHubLocation('http://mirror.example/a/b', { origin: 'https://app.example' })).toThrow(
      GlimpseError,
    );
    expect(() => hubPackageUrl('not a repo')).toThrow(/not a Hugging Face repository id/);
    expect(() => hubPackageUrl('a/../b')).toThrow(GlimpseError);
  });
});
