import type { LayerSpec } from '../../src/ml/layers';

/** One small model per layer type (and layout combination), shared by the gradient and export tests. */
export const LAYER_CASES: Array<{ name: string; inShape: number[]; specs: LayerSpec[] }> = [
  { name: 'dense', inShape: [5], specs: [{ type: 'dense', units: 4 }] },
  { name: 'dense per time step', inShape: [4, 5], specs: [{ type: 'dense', units: 3 }] },
  { name: 'conv1d same, odd kernel', inShape: [6, 2], specs: [{ type: 'conv1d', filters: 3, kernel: 3, padding: 'same' }] },
  { name: 'conv1d same, even kernel', inShape: [7, 3], specs: [{ type: 'conv1d', filters: 2, kernel: 4, padding: 'same' }] },
  { name: 'conv1d valid', inShape: [8, 2], specs: [{ type: 'conv1d', filters: 3, kernel: 4, padding: 'valid' }] },
  { name: 'relu', inShape: [5], specs: [{ type: 'dense', units: 6 }, { type: 'activation', fn: 'relu' }] },
  { name: 'leaky-relu', inShape: [5], specs: [{ type: 'dense', units: 6 }, { type: 'activation', fn: 'leaky-relu', alpha: 0.1 }] },
  { name: 'tanh', inShape: [5], specs: [{ type: 'dense', units: 6 }, { type: 'activation', fn: 'tanh' }] },
  { name: 'sigmoid', inShape: [5], specs: [{ type: 'dense', units: 6 }, { type: 'activation', fn: 'sigmoid' }] },
  { name: 'dropout', inShape: [5], specs: [{ type: 'dense', units: 6 }, { type: 'dropout', rate: 0.5 }] },
  { name: 'gaussian-noise', inShape: [4, 3], specs: [{ type: 'gaussian-noise', std: 0.5 }, { type: 'conv1d', filters: 2, kernel: 3 }, { type: 'activation', fn: 'leaky-relu', alpha: 0.2 }] },
  {
    name: 'flatten after conv (channels-first in ONNX)',
    inShape: [6, 3],
    specs: [{ type: 'conv1d', filters: 4, kernel: 3 }, { type: 'activation', fn: 'relu' }, { type: 'conv1d', filters: 2, kernel: 2 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
  },
  {
    name: 'reshape into a conv decoder',
    inShape: [8],
    specs: [{ type: 'dense', units: 12 }, { type: 'reshape', shape: [4, 3] }, { type: 'conv1d', filters: 2, kernel: 3 }],
  },
  {
    name: 'global-avg-pool',
    inShape: [6, 3],
    specs: [{ type: 'conv1d', filters: 4, kernel: 3 }, { type: 'activation', fn: 'tanh' }, { type: 'global-avg-pool' }, { type: 'dense', units: 2 }],
  },
  { name: 'exp-smooth (channels-last)', inShape: [6, 3], specs: [{ type: 'exp-smooth', alpha: 0.3 }, { type: 'dense', units: 2 }] },
  {
    name: 'exp-smooth between convolutions (channels-first)',
    inShape: [7, 2],
    specs: [{ type: 'conv1d', filters: 3, kernel: 2 }, { type: 'exp-smooth', alpha: 0.6 }, { type: 'conv1d', filters: 2, kernel: 3 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
  },
  { name: 'last-steps (channels-last)', inShape: [7, 3], specs: [{ type: 'last-steps', steps: 4 }, { type: 'dense', units: 2 }] },
  {
    name: 'last-steps between convolutions (channels-first)',
    inShape: [9, 2],
    specs: [{ type: 'conv1d', filters: 3, kernel: 2 }, { type: 'last-steps', steps: 5 }, { type: 'conv1d', filters: 2, kernel: 3 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
  },
  { name: 'gru, last state', inShape: [5, 3], specs: [{ type: 'gru', units: 4 }, { type: 'dense', units: 2 }] },
  { name: 'gru, every step (channels-last), then a gru', inShape: [4, 2], specs: [{ type: 'gru', units: 3, sequences: true }, { type: 'gru', units: 2 }] },
  {
    name: 'gru after a convolution (channels-first), every step, flattened',
    inShape: [6, 2],
    specs: [{ type: 'conv1d', filters: 3, kernel: 3 }, { type: 'gru', units: 2, sequences: true }, { type: 'flatten' }, { type: 'dense', units: 1 }],
  },
];
