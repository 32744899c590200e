import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../errors';
import { parseImagePreprocessSpec } from './preprocess-config';

/** llava-hf/llava-interleave-qwen-0.5b-hf and Xenova/nanoLLaVA (data/hub-models.md). */
const SIGLIP_384 = {
  do_resize: true,
  size: { height: 384, width: 384 },
  resample: 3,
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  image_processor_type: 'SiglipImageProcessor',
};

/** llava-hf/llava-1.5-7b-hf style CLIPImageProcessor. */
const CLIP_336 = {
  do_resize: true,
  size: { shortest_edge: 336 },
  do_center_crop: true,
  crop_size: { height: 336, width: 336 },
  resample: 3,
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  do_convert_rgb: true,
};

function failure(run: () => unknown): GlimpseError {
  try {
    run();
  } catch (err) {
    if (err instanceof GlimpseError) return err;
    throw err;
  }
  throw new Error('expected a GlimpseError');
}

describe('parseImagePreprocessSpec', () => {
  it('reads a SigLIP processor as a fixed bicubic resize', () => {
    expect(parseImagePreprocessSpec(SIGLIP_384)).toMatchObject({
      mode: 'resize',
      height: 384,
      width: 384,
      resample: 'bicubic',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      background: [255, 255, 255],
    });
  });

  it("takes LLaVA's image_aspect_ratio 'pad' from config.json (nanoLLaVA)", () => {
    const spec = parseImagePreprocessSpec(SIGLIP_384, { model_type: 'llava', image_aspect_ratio: 'pad' });
    expect(spec.mode).toBe('pad-square-then-resize');
    expect(spec.padColor).toEqual([127, 127, 127]);
  });

  it('reads a CLIP processor as shortest edge then centre crop', () => {
    expect(parseImagePreprocessSpec(CLIP_336)).toMatchObject({
      mode: 'shortest-edge-then-center-crop',
      shortestEdge: 336,
      height: 336,
      width: 336,
    });
  });

  it('turns off rescaling and normalisation when the config says so', () => {
    const spec = parseImagePreprocessSpec({
      size: { height: 8, width: 8 },
      do_rescale: false,
      do_normalize: false,
    });
    expect(spec).toMatchObject({ rescaleFactor: 1, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('reads nearest and bilinear resampling by their PIL codes', () => {
    expect(parseImagePreprocessSpec({ ...SIGLIP_384, resample: 0 }).resample).toBe('nearest');
    expect(parseImagePreprocessSpec({ ...SIGLIP_384, resample: 2 }).resample).toBe('bilinear');
  });

  it('names preprocessor_config.json and the field when a required one is missing', () => {
    const { image_mean: _, ...noMean } = CLIP_336;
    const err = failure(() => parseImagePreprocessSpec(noMean));
    expect(err.code).toBe('package-invalid');
    expect(err.message).toContain('preprocessor_config.json');
    expect(err.message).toContain('image_mean');
    expect(err.details).toMatchObject({ file: 'preprocessor_config.json', field: 'image_mean' });

    const { size: __, ...noSize } = SIGLIP_384;
    expect(failure(() => parseImagePreprocessSpec(noSize)).details).toMatchObject({ field: 'size' });
    expect(failure(() => parseImagePreprocessSpec({ ...SIGLIP_384, resample: 5 })).details).toMatchObject({
      field: 'resample',
    });
  });
});
