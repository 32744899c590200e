/**
 * Reads the text files of a generated package in models/ (built by `npm run models`, which `npm test`
 * runs first), for tests that use a real tokenizer.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TextCodecFiles } from './codec';

const MODELS = new URL('../../../models/', import.meta.url);

function json(pkg: string, file: string): unknown {
  const url = new URL(`${pkg}/${file}`, MODELS);
  return existsSync(url) ? JSON.parse(readFileSync(url, 'utf8')) : undefined;
}

export function packageTextFiles(pkg: 'stories260k' | 'tiny-llava' | 'tiny-llava-fused'): TextCodecFiles {
  const template = new URL(`${pkg}/chat_template.json`, MODELS);
  return {
    tokenizerJson: json(pkg, 'tokenizer.json'),
    tokenizerConfig: json(pkg, 'tokenizer_config.json'),
    generationConfig: json(pkg, 'generation_config.json'),
    config: json(pkg, 'config.json'),
    ...(existsSync(template) ? { chatTemplate: readFileSync(template, 'utf8') } : {}),
  };
}
