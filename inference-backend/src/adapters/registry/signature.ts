import { onnx } from 'onnx-proto';
import type { ModelSignature, TensorSpec } from '../../domain/mlops/manifest';

function tensorSpec(info: onnx.IValueInfoProto): TensorSpec {
  const tensor = info.type?.tensorType;
  const elemType = tensor?.elemType ?? 0;
  const type = (onnx.TensorProto.DataType[elemType] ?? 'UNDEFINED').toLowerCase();
  const dims = tensor?.shape?.dim;
  const spec: TensorSpec = { name: info.name ?? '', type };
  if (dims) {
    // int64 dimensions decode as Long objects or numbers depending on their size.
    spec.shape = dims.map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?'
    );
  }
  return spec;
}

/**
 * The inputs and outputs an ONNX graph declares, or undefined when the bytes are not an ONNX model.
 * Initializers that old exporters also list as inputs are left out: the caller never feeds them.
 */
export function onnxSignature(bytes: Uint8Array): ModelSignature | undefined {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const graph = model.graph;
  if (!graph || (graph.input ?? []).length === 0) return undefined;
  const constants = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((i) => !constants.has(i.name)).map(tensorSpec),
    outputs: (graph.output ?? []).map(tensorSpec),
  };
}
