/**
 * Jest environment for tests that run onnxruntime-node. Its native binding creates output
 * tensors' typed arrays in Node's own realm, while jest gives each test file a separate realm,
 * so onnxruntime-common's `data instanceof Float32Array` check fails inside jest only. Sharing
 * the typed-array constructors with the sandbox makes both realms agree. Use with the docblock
 * `@jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js`.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxRuntimeTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeTestEnvironment;
