import type { Command } from 'commander';
import { unsignedNote } from './sign-model';
import { fmt } from '../ml/model-card';
import { quantizeModelDir, restampVariants } from '../ml/requantize';

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('Write <model>/variants/int8 from the float model in <model> (no retraining): int8 weights, per-channel scales, the variant manifest with its sha256')
    .requiredOption('--model <dir>', 'model directory written by train rul / train anomaly (manifest.json + model.onnx)')
    .option('--data <dir>', "the model's data folder (../shared/data/cmapss or ../shared/data/skab): measure the variant's metrics as the training pipeline does")
    .option('--restamp-variants', "then rewrite every variant's manifest from the model's own (inputs, normalization, training), keeping each variant's thresholds and metrics")
    .action(async (o: { model: string; data?: string; restampVariants?: boolean }) => {
      const r = await quantizeModelDir(o.model, o.data);
      const m = r.manifest.metrics;
      const figures = Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
      process.stdout.write(`wrote ${o.model}/variants/int8: ${r.bytes} bytes (float ${r.floatBytes}), sha256 ${r.manifest.sha256}${figures ? `; ${figures}` : '; no metrics (no --data)'}\n`);
      const rewritten = o.restampVariants ? restampVariants(o.model) : ['int8'];
      if (o.restampVariants) process.stdout.write(`rewrote the manifests of ${o.model}/variants/{${rewritten.join(',')}}\n`);
      process.stdout.write(`${unsignedNote(rewritten.map((v) => `${o.model}/variants/${v}`))}\n`);
    });
}
