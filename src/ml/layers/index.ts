import { Activation } from './activation';
import { Conv1D } from './conv1d';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { ExpSmooth } from './exp-smooth';
import { GaussianNoise } from './gaussian-noise';
import { GlobalAvgPool } from './global-avg-pool';
import { Gru } from './gru';
import { LastSteps } from './last-steps';
import type { Layer, LayerSpec } from './layer';
import { Reshape } from './reshape';
import { TrainingOnlyLayer } from './training-only';

export * from './layer';
export { Activation, Conv1D, Dense, Dropout, ExpSmooth, GaussianNoise, GlobalAvgPool, Gru, LastSteps, Reshape, TrainingOnlyLayer };

export function createLayer(spec: LayerSpec): Layer {
  switch (spec.type) {
    case 'dense':
      return new Dense(spec.units, spec.init);
    case 'conv1d':
      return new Conv1D(spec.filters, spec.kernel, spec.padding, spec.init);
    case 'gru':
      return new Gru(spec.units, spec.sequences);
    case 'activation':
      return new Activation(spec.fn, spec.alpha);
    case 'dropout':
      return new Dropout(spec.rate);
    case 'gaussian-noise':
      return new GaussianNoise(spec.std);
    case 'flatten':
      return new Reshape();
    case 'reshape':
      return new Reshape(spec.shape);
    case 'global-avg-pool':
      return new GlobalAvgPool();
    case 'exp-smooth':
      return new ExpSmooth(spec.alpha);
    case 'last-steps':
      return new LastSteps(spec.steps);
  }
}
