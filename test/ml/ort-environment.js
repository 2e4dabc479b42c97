// Jest runs each test file in its own vm realm, so typed arrays made there are not
// `instanceof Float32Array` for onnxruntime-node's native binding (and vice versa): its output
// tensors fail with "A float32 tensor's data must be type of Float32Array". Sharing the host's
// typed-array constructors with the test realm fixes both directions. Use with the docblock
// `@jest-environment ./test/ml/ort-environment.js`.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
