import { readFileSync } from 'node:fs';
import { ANOMALY_DEFAULTS, trainAnomaly, type AnomalyData, type Run } from '../../src/ml/anomaly-model';
import { anomalyGatewaySection } from '../../src/ml/anomaly-pipeline';
import { readModelDir } from '../../src/ml/model-files';
import { Rng } from '../../src/ml/rng';
import { SKAB_CHANNELS } from '../../src/ml/skab-data';

const C = SKAB_CHANNELS.length;

function run(name: string, rows: number, rng: Rng, anomalyFrom?: number): Run {
  const z = Float32Array.from({ length: rows * C }, (_, i) => rng.normal() + (anomalyFrom !== undefined && Math.floor(i / C) >= anomalyFrom ? 3 : 0));
  return { name, z, rows, ...(anomalyFrom !== undefined ? { anomaly: Uint8Array.from({ length: rows }, (_, t) => (t >= anomalyFrom ? 1 : 0)) } : {}) };
}

describe('anomaly score calibration reads no label', () => {
  const opts = { ...ANOMALY_DEFAULTS, window: 10, calibrationRows: 100, calibrationEnd: 200, epochs: 1, size: 'student' as const, stride: 5 };

  function data(labels: (r: Run) => Run): AnomalyData {
    const rng = new Rng(11);
    const free = [run('free0', 400, rng), run('free1', 400, rng), run('free2', 400, rng), run('free3', 400, rng)];
    const labelled = [run('v0', 500, rng, 300), run('v1', 500, rng, 320)].map(labels);
    return { freeRuns: free, labelled, files: [] };
  }

  it('gives the same weights, lambda and threshold whatever the labels say (rows calibrationRows..calibrationEnd only)', () => {
    const truth = trainAnomaly(data((r) => r), opts).score;
    // Labels moved into the calibration range (the old calibration stopped at the first label),
    // or removed altogether: the score must not move.
    const early = trainAnomaly(data((r) => ({ ...r, anomaly: Uint8Array.from({ length: r.rows }, (_, t) => (t >= 150 ? 1 : 0)) })), opts).score;
    const none = trainAnomaly(data(({ anomaly: _a, ...r }) => r), opts).score;
    expect(early).toEqual(truth);
    expect(none).toEqual(truth);
    // And the range is what sets them: a longer one reaching into the level shift moves the threshold.
    const longer = trainAnomaly(data((r) => r), { ...opts, calibrationEnd: 400 }).score;
    expect(longer.threshold).toBeGreaterThan(truth.threshold * 1.5);
  });
});

describe('shipped skab-anomaly card', () => {
  it('holds the "On the gateway" section as anomalyCard() writes it, matching the manifest', () => {
    const card = readFileSync('models/skab-anomaly/MODEL_CARD.md', 'utf8');
    const section = anomalyGatewaySection(ANOMALY_DEFAULTS);
    expect(card).toContain(`## ${section.title}\n\n${section.body}\n`);
    const norm = readModelDir('models/skab-anomaly').manifest.inputs[0]!.normalization;
    expect(norm).toMatchObject({ type: 'baseline', frames: ANOMALY_DEFAULTS.calibrationRows });
    expect(card).toContain('No anomaly label is read to fit or calibrate anything');
  });
});
