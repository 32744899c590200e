import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { fileUrl, resolvePackageUrl } from './source-url';

const origin = 'http://127.0.0.1:4173';

function refusal(url: string): GlimpseError {
  try {
    resolvePackageUrl(url, origin);
  } catch (err) {
    if (err instanceof GlimpseError) return err;
  }
  throw new Error(`${url} was not refused`);
}

describe('resolvePackageUrl', () => {
  it('takes https anywhere and anything on the app’s own origin', () => {
    expect(resolvePackageUrl('https://huggingface.co/org/repo/resolve/main', origin).href).toBe(
      'https://huggingface.co/org/repo/resolve/main/',
    );
    expect(resolvePackageUrl('/models/tiny-llava', origin).href).toBe(`${origin}/models/tiny-llava/`);
    expect(resolvePackageUrl(`${origin}/models/x/`, origin).href).toBe(`${origin}/models/x/`);
  });

  it('refuses plain http elsewhere, and other schemes, naming the URL', () => {
    for (const url of [
      'http://example.com/models/x',
      'http://127.0.0.1:9999/models/x',
      'ftp://example.com/x',
      'file:///etc/passwd',
      'data:application/json,{}',
      'javascript:alert(1)',
    ]) {
      const err = refusal(url);
      expect(err.code, url).toBe('download-failed');
      expect(err.message, url).toMatch(/only over https or from this app's own server/);
      expect(err.details?.url, url).toBeTruthy();
    }
  });

  it('refuses what is not a URL at all when there is no origin to resolve against', () => {
    expect(() => resolvePackageUrl('models/x', undefined)).toThrow(
      /not a URL a model can be downloaded from/,
    );
  });

  it('cannot be walked off the package folder or its origin by a file path', () => {
    const base = resolvePackageUrl('https://hub.example/org/repo/resolve/main', origin);
    expect(fileUrl(base, 'onnx/a b#c?.onnx')).toBe(
      'https://hub.example/org/repo/resolve/main/onnx/a%20b%23c%3F.onnx',
    );
    expect(new URL(fileUrl(base, '//evil.example/x')).host).toBe('hub.example');
    expect(fileUrl(base, '//evil.example/x').startsWith(base.href)).toBe(true);
    expect(fileUrl(base, 'onnx/%2e%2e/x').startsWith(`${base.href}onnx/`)).toBe(true);
    for (const path of ['../../../other/repo/x.onnx', 'onnx/./x'])
      expect(() => fileUrl(base, path), path).toThrow(/outside its folder/);
  });
});
