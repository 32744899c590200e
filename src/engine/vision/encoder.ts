/** pixel_values → image embeddings [rows × hidden], through the vision encoder and the projector when separate. */
import { GlimpseError } from '../errors';
import type { VisionSpec } from '../model/validate';
import type { Ort, OrtTensor } from '../runtime/ort';
import { createFloatTensor, readFloats } from '../runtime/tensors';

export interface ImageEmbeds {
  /** Row-major [rows × hidden]: one row per image token position. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly hidden: number;
}

export interface PixelValues {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

async function runOne(
  session: VisionSpec['encoder'],
  name: string,
  input: OrtTensor,
  output: string,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const outputs = await session.run({ [name]: input });
  try {
    const tensor = outputs[output];
    if (!tensor) throw new Error(`The vision model returned no '${output}'.`);
    return { data: Float32Array.from(await readFloats(tensor)), dims: tensor.dims };
  } finally {
    for (const tensor of Object.values(outputs)) tensor.dispose();
  }
}

/** Encodes one image; `declaredRows` (the package's image_seq_length) must match the rows it gives. */
export async function encodeImage(
  ort: Ort,
  spec: VisionSpec,
  pixels: PixelValues,
  declaredRows: number | undefined,
): Promise<ImageEmbeds> {
  const pixelTensor = createFloatTensor(ort, spec.pixelType, pixels.data, pixels.dims);
  let features: { data: Float32Array; dims: readonly number[] };
  try {
    features = await runOne(spec.encoder, 'pixel_values', pixelTensor, spec.encoderOutput);
  } finally {
    pixelTensor.dispose();
  }
  if (spec.projector) {
    const { session, input, inputType } = spec.projector;
    const featureTensor = createFloatTensor(ort, inputType, features.data, features.dims);
    try {
      features = await runOne(session, input, featureTensor, 'image_features');
    } finally {
      featureTensor.dispose();
    }
  }
  const hidden = features.dims[features.dims.length - 1] ?? 0;
  const rows = hidden === 0 ? 0 : features.data.length / hidden;
  if (declaredRows !== undefined && declaredRows !== rows) {
    throw new GlimpseError(
      'package-invalid',
      `${spec.encoderFile} gives ${rows} image feature rows, but the package declares image_seq_length ${declaredRows}.`,
      { details: { file: spec.encoderFile, rows, declared: declaredRows } },
    );
  }
  return { data: features.data, rows, hidden };
}
