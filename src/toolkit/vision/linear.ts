/** Linear layers with bias for the vision graphs, over whichever LinearFn the caller picks (float or q4). */
import type { LinearFn } from '../decoder/llama-graph';
import type { GraphBuilder } from '../onnx/graph';
import type { LinearWeights } from './clip-weights';

export interface LinearChoice {
  readonly linear: LinearFn;
}

/** y = x · Wᵀ + b */
export function linearWithBias(
  g: GraphBuilder,
  x: string,
  w: LinearWeights,
  name: string,
  choice: LinearChoice,
): string {
  const y = choice.linear(g, x, w.weight, w.outFeatures, w.inFeatures, name);
  return g.op('Add', [y, g.float32(`${name}.bias`, w.bias)], {}, { name: `${name}.add_bias` });
}
