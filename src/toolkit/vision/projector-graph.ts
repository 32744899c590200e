/** The mlp2x_gelu projector of the tiny-llava packages as ONNX: Linear, exact GELU, Linear. */
import { GraphBuilder, type SerializedModel } from '../onnx/graph';
import type { ProjectorWeights } from './clip-weights';
import { type LinearChoice, linearWithBias } from './linear';

export const VISION_FEATURES = 'vision_features';
export const IMAGE_FEATURES = 'image_features';

/** Adds the projector to `g`: features [..., vision hidden] → image embeddings [..., text hidden]. */
export function addProjector(
  g: GraphBuilder,
  features: string,
  weights: ProjectorWeights,
  choice: LinearChoice,
): string {
  const p = 'multi_modal_projector';
  const hidden = linearWithBias(g, features, weights.linear1, `${p}.linear_1`, choice);
  // Exact GELU, 0.5·x·(1 + erf(x/√2)): torch's nn.GELU(), which mlp2x_gelu uses.
  const erf = g.op('Erf', [g.op('Mul', [hidden, g.float32(`${p}.inv_sqrt2`, [Math.SQRT1_2], [])])]);
  const onePlus = g.op('Add', [erf, g.float32(`${p}.one`, [1], [])]);
  const gelu = g.op('Mul', [g.op('Mul', [hidden, onePlus]), g.float32(`${p}.half`, [0.5], [])]);
  return linearWithBias(g, gelu, weights.linear2, `${p}.linear_2`, choice);
}

/** vision_features [batch, tokens, vision hidden] → image_features [batch, tokens, text hidden] */
export function buildProjector(
  weights: ProjectorWeights,
  tokens: number,
  choice: LinearChoice,
): SerializedModel {
  const g = new GraphBuilder('projector');
  const features = g.input(VISION_FEATURES, 'float32', ['batch_size', tokens, weights.linear1.inFeatures]);
  const projected = addProjector(g, features, weights, choice);
  g.output(IMAGE_FEATURES, 'float32', ['batch_size', tokens, weights.linear2.outFeatures], projected);
  return g.serialize({ docString: 'mlp2x_gelu projector: Linear, GELU, Linear' });
}
