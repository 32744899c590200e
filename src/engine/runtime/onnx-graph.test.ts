// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GRAPH_INITIALIZER, GRAPH_NODE, readModelGraph } from './onnx-graph';
import { fields, readTensor } from './onnx-read';
import { bytesField, concat, field, nodeProto, tensorProto, varint, wireModel } from './onnx-wire';

const VALUE = { type: 'float32' as const, dims: [2] };

/** y = x + c, c = [1, 2]. */
function addModel(): Uint8Array {
  const c = new Uint8Array(new Float32Array([1, 2]).buffer);
  return wireModel(
    'add',
    [{ opType: 'Add', inputs: ['x', 'c'], outputs: ['y'], name: 'add' }],
    [{ name: 'x', ...VALUE }],
    [{ name: 'y', ...VALUE }],
    [{ name: 'c', type: 'float32', dims: [2], data: c }],
  );
}

/** The same model with its graph written as two fragments, as the toolkit streams large initializers. */
function fragmented(model: Uint8Array): Uint8Array {
  const top = fields(model);
  const graph = top.find((f) => f.number === 7)?.body ?? new Uint8Array();
  const parts = fields(graph);
  const half = (list: typeof parts) => concat(list.map((f) => graph.subarray(f.start, f.end)));
  const isInitializer = (f: (typeof parts)[number]) => f.number === GRAPH_INITIALIZER;
  return concat([
    ...top.filter((f) => f.number !== 7).map((f) => model.subarray(f.start, f.end)),
    bytesField(7, half(parts.filter((f) => !isInitializer(f)))),
    bytesField(7, half(parts.filter(isInitializer))),
  ]);
}

async function run(model: Uint8Array): Promise<number[]> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(10, 20), [2]) });
    return Array.from(out.y?.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe('ModelGraph', () => {
  it.each([
    ['in one piece', addModel()],
    ['in fragments', fragmented(addModel())],
  ])('takes edits one after another and writes the model once at the end (%s)', async (_, model) => {
    expect(await run(model)).toEqual([11, 22]);
    const graph = readModelGraph(model);
    // Each edit reads the one before it: y = (x + c) · 2, then + c again.
    const two = tensorProto({
      name: 'two',
      type: 'float32',
      dims: [],
      data: new Uint8Array(new Float32Array([2]).buffer),
    });
    const node = (opType: string, inputs: string[], output: string) =>
      Uint8Array.from(field(GRAPH_NODE, nodeProto({ opType, inputs, outputs: [output], name: output }, 0)));
    const doubled = graph.edit([
      ...graph.fields.map((f) => (f.number === GRAPH_NODE ? node('Add', ['x', 'c'], 'sum') : f.bytes)),
      bytesField(GRAPH_INITIALIZER, two),
      node('Mul', ['sum', 'two'], 'twice'),
    ]);
    const again = doubled.edit([...doubled.fields.map((f) => f.bytes), node('Add', ['twice', 'c'], 'y')]);
    expect(await run(again.bytes())).toEqual([23, 46]);
    // The model read at first is as it was.
    expect(await run(model)).toEqual([11, 22]);
    // Unedited, it writes the graph back as it read it, a fragmented one in one piece.
    expect(await run(graph.bytes())).toEqual([11, 22]);
    if (fields(model).filter((f) => f.number === 7).length === 1) expect(graph.bytes()).toEqual(model);
  });
});

describe('readTensor', () => {
  it('reads raw_data, and leaves out the values of a tensor stored outside the model', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const raw = readTensor(tensorProto({ name: 'c', type: 'float32', dims: [2], data }));
    expect(raw).toEqual({ name: 'c', dataType: 1, dims: [2], raw: data });
    // data_location = 14: EXTERNAL.
    const external = readTensor(
      concat([
        tensorProto({ name: 'c', type: 'float32', dims: [2], data }),
        varint((14 << 3) | 0),
        varint(1),
      ]),
    );
    expect(external).toEqual({ name: 'c', dataType: 1, dims: [2] });
  });
});
