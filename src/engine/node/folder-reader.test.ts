import { describe, expect, it } from 'vitest';
import { folderHasFile, folderReader } from './folder-reader';

describe('a package folder in Node', () => {
  it('says whether it has a file, and reads one, or null when it has none', async () => {
    const has = folderHasFile('models/stories260k');
    expect(await has('onnx/decoder_model_static.onnx')).toBe(true);
    expect(await has('onnx/decoder_model_static_q4.onnx')).toBe(false);
    // A folder is not a file.
    expect(await has('onnx')).toBe(false);
    const reader = folderReader('models/stories260k');
    expect(await reader.read('config.json')).toBeInstanceOf(Uint8Array);
    expect(await reader.read('onnx/decoder_model_static_q4.onnx')).toBeNull();
  });
});
