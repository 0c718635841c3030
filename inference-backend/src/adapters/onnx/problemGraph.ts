import { onnx } from 'onnx-proto';
import type { LinearTerms } from '../../domain/problems/explanation';

/**
 * The linear terms of a logistic problem graph (`exportProblemOnnx`: Sub(mean) → Mul(scale) →
 * MatMul(weights) → Add(bias)), read back from its initializers so that serving explains exactly
 * what the graph computes; undefined for a graph without them (trees).
 */
export function linearTermsOf(bytes: Uint8Array): LinearTerms | undefined {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const tensor = (name: string): Float32Array | undefined => {
    const found = graph?.initializer?.find((t) => t.name === name);
    if (!found) return undefined;
    if (found.rawData && found.rawData.length > 0) {
      // raw_data is little-endian float32; copied to an aligned buffer.
      const raw = Uint8Array.from(found.rawData);
      return new Float32Array(raw.buffer, 0, raw.byteLength / 4);
    }
    return found.floatData ? Float32Array.from(found.floatData) : undefined;
  };
  const [mean, scale, weights, bias] = ['mean', 'scale', 'weights', 'bias'].map(tensor);
  if (!mean || !scale || !weights || !bias || bias.length !== 1) return undefined;
  if (scale.length !== mean.length || weights.length !== mean.length) return undefined;
  return { mean, scale, weights, bias: bias[0] };
}
