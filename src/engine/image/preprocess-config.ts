/**
 * What a package's preprocessor_config.json (and, for LLaVA's 'pad' aspect ratio, config.json) says about
 * turning pixels into `pixel_values`, checked and reduced to the few settings the engine acts on.
 */
import { GlimpseError } from '../errors';

export type ResizeMode =
  /**
   * LLaVA's image_aspect_ratio 'pad': pad to a square with `padColor`, resize it to shortestEdge², then
   * centre-crop height×width (no crop when they are equal, as in every LLaVA config seen).
   */
  | 'pad-square-then-resize'
  /** CLIPImageProcessor: resize the shortest edge to `shortestEdge`, then centre-crop height×width. */
  | 'shortest-edge-then-center-crop'
  /** SiglipImageProcessor: resize to height×width whatever the aspect ratio. */
  | 'resize';

/** PIL's filters, by the codes Hugging Face configs use: 0 nearest, 2 bilinear, 3 bicubic. */
export type Resample = 'nearest' | 'bilinear' | 'bicubic';

export type Rgb = readonly [number, number, number];

export interface ImagePreprocessSpec {
  readonly mode: ResizeMode;
  /** The size of `pixel_values`. */
  readonly height: number;
  readonly width: number;
  /** The length the shortest edge is resized to before a centre crop; unused by 'resize'. */
  readonly shortestEdge: number;
  readonly resample: Resample;
  /** Multiplies 0–255 values: 1/255 in most configs, 1 when do_rescale is false. */
  readonly rescaleFactor: number;
  /** Per channel, after rescaling: (x − mean) / std. 0 and 1 when do_normalize is false. */
  readonly mean: Rgb;
  readonly std: Rgb;
  /** Colour (0–255) that transparent pixels are composited onto. */
  readonly background: Rgb;
  /** Colour (0–255) of the padding in 'pad-square-then-resize': the mean colour, as LLaVA does. */
  readonly padColor: Rgb;
}

const FILE = 'preprocessor_config.json';
const WHITE: Rgb = [255, 255, 255];
const RESAMPLE_CODES: Readonly<Record<number, Resample>> = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' };

export function parseImagePreprocessSpec(
  preprocessorConfig: unknown,
  modelConfig?: unknown,
): ImagePreprocessSpec {
  if (!isRecord(preprocessorConfig)) throw invalid(`${FILE} is not a JSON object.`, 'root');
  const config = preprocessorConfig;

  if (config.do_resize === false) {
    throw invalid(
      `${FILE} sets do_resize to false; Glimpse needs a resize to the model's input size.`,
      'do_resize',
    );
  }
  const resample = parseResample(config.resample);
  const doRescale = config.do_rescale !== false;
  const rescaleFactor = doRescale ? positiveNumber(config, 'rescale_factor', 1 / 255) : 1;
  const doNormalize = config.do_normalize !== false;
  const mean = doNormalize ? rgb(config, 'image_mean') : ([0, 0, 0] as const);
  const std = doNormalize ? rgb(config, 'image_std') : ([1, 1, 1] as const);
  if (std.some((value) => value === 0)) throw invalid(`${FILE}: image_std has a zero entry.`, 'image_std');

  const pad = config.do_pad === true || aspectRatio(config) === 'pad' || aspectRatio(modelConfig) === 'pad';
  const size = config.size;
  const crop = config.do_center_crop === false ? undefined : config.crop_size;
  const shortest = isRecord(size) ? size.shortest_edge : typeof size === 'number' ? size : undefined;
  // Python's int(x * 255) of the mean, as LLaVA's expand2square and transformers' pad_to_square do.
  const padColor: Rgb = [Math.trunc(mean[0] * 255), Math.trunc(mean[1] * 255), Math.trunc(mean[2] * 255)];

  let mode: ResizeMode;
  let height: number;
  let width: number;
  let shortestEdge: number;
  if (typeof shortest === 'number') {
    shortestEdge = positiveInteger(shortest, 'size.shortest_edge');
    const cropSize =
      crop === undefined ? { height: shortestEdge, width: shortestEdge } : heightWidth(crop, 'crop_size');
    ({ height, width } = cropSize);
    mode = pad ? 'pad-square-then-resize' : 'shortest-edge-then-center-crop';
  } else if (isRecord(size) && size.height !== undefined) {
    ({ height, width } = heightWidth(size, 'size'));
    if (pad && height !== width) {
      throw invalid(`${FILE}: padding to a square needs a square size, not ${height}×${width}.`, 'size');
    }
    shortestEdge = height;
    mode = pad ? 'pad-square-then-resize' : 'resize';
  } else {
    throw invalid(
      `${FILE} has no usable size (expected {"shortest_edge": n} or {"height": h, "width": w}).`,
      'size',
    );
  }
  return {
    mode,
    height,
    width,
    shortestEdge,
    resample,
    rescaleFactor,
    mean,
    std,
    background: WHITE,
    padColor,
  };
}

function aspectRatio(config: unknown): unknown {
  return isRecord(config) ? config.image_aspect_ratio : undefined;
}

function parseResample(value: unknown): Resample {
  if (value === undefined || value === null) return 'bicubic';
  const resample = typeof value === 'number' ? RESAMPLE_CODES[value] : undefined;
  if (resample === undefined) {
    throw invalid(`${FILE}: resample ${JSON.stringify(value)} is not supported (0, 2 or 3).`, 'resample');
  }
  return resample;
}

function rgb(config: Record<string, unknown>, field: string): Rgb {
  const value = config[field];
  if (typeof value === 'number') return [value, value, value];
  if (Array.isArray(value) && value.length === 3) {
    const [r, g, b]: unknown[] = value;
    if (typeof r === 'number' && typeof g === 'number' && typeof b === 'number') return [r, g, b];
  }
  throw invalid(`${FILE} needs ${field}: three numbers, one per channel.`, field);
}

function heightWidth(value: unknown, field: string): { height: number; width: number } {
  if (typeof value === 'number') {
    const side = positiveInteger(value, field);
    return { height: side, width: side };
  }
  if (!isRecord(value)) throw invalid(`${FILE} needs ${field} as {"height": h, "width": w}.`, field);
  return {
    height: positiveInteger(value.height, `${field}.height`),
    width: positiveInteger(value.width, `${field}.width`),
  };
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalid(`${FILE} needs ${field} as a positive integer.`, field);
  }
  return value;
}

function positiveNumber(config: Record<string, unknown>, field: string, fallback: number): number {
  const value = config[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0))
    throw invalid(`${FILE} needs ${field} as a positive number.`, field);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, field: string): GlimpseError {
  return new GlimpseError('package-invalid', message, { details: { file: FILE, field } });
}
