import { planInput } from '../../src/models/input-assembly';
import { modelManifest } from '../../src/models/manifest';
import { assetChannels } from '../../src/assets/config';
import { WaveformInputs } from '../../src/assets/waveform-channel';
import { parseConfig } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/core/errors';
import { asset } from './helpers';

const HEAD = `gateway: { id: gw1, site: plant }
sources:
  - { id: plc, type: opcua, endpoint: "opc.tcp://127.0.0.1:4840", nodes: [{ name: temp, nodeId: "ns=1;s=T" }, { name: vib, nodeId: "ns=1;s=V" }] }
assets:
  - id: pump
    tags: { temp: plc/temp, vib: plc/vib }
    window: { size: 10000, frameMs: 1000 }
`;

function problems(waveforms: string): string[] {
  try {
    parseConfig(`${HEAD}    waveforms:\n${waveforms}`, 'test.yaml', {});
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue).map((m) => m.replace(/ \(line \d+, column \d+\)$/, ''));
    throw e;
  }
  throw new Error('config was accepted');
}

describe('assets[].waveforms config', () => {
  it('accepts a waveform channel with defaults; its grid channels follow the scalar ones', () => {
    const cfg = parseConfig(`${HEAD}    waveforms:\n      vib: { sampleRateHz: 20000, features: [rms, band_energy, dominant_freq], bands: [[0, 1000], [1000, 10001]] }\n`, 'test.yaml', {});
    const a = cfg.assets[0];
    expect(a.waveforms.vib).toEqual({ sampleRateHz: 20000, minLength: 16, features: ['rms', 'band_energy', 'dominant_freq'], bands: [[0, 1000], [1000, 10001]] });
    expect(assetChannels(a)).toEqual(['temp', 'vib.rms', 'vib.band_energy_0_1000', 'vib.band_energy_1000_10001', 'vib.dominant_freq']);
    expect(assetChannels(asset())).toEqual(['a', 'b']); // no waveform: exactly the tags
  });

  it('inputs: scalar channels first (their index is their grid column), waveform channels after, features in consecutive columns', () => {
    const a = asset({
      tags: { v1: 's/v1', t: 's/t', v2: 's/v2', p: 's/p' },
      waveforms: { v1: { sampleRateHz: 1000, features: ['rms', 'kurtosis'] }, v2: { sampleRateHz: 1000, features: ['dominant_freq'] } },
    });
    const w = new WaveformInputs(a.tags, a.waveforms);
    expect([w.inputs, w.tagOf, w.scalars]).toEqual([['t', 'p', 'v1', 'v2'], ['s/t', 's/p', 's/v1', 's/v2'], 2]);
    const grid = assetChannels(a);
    expect(grid).toEqual(['t', 'p', 'v1.rms', 'v1.kurtosis', 'v2.dominant_freq']);
    for (const c of [2, 3]) {
      const ch = w.channel(c);
      expect(ch.keys.map((_, i) => grid[ch.col0 + i])).toEqual(ch.keys.map((k) => `${ch.name}.${k}`));
    }
  });

  it('names the path and the fix for each mistake', () => {
    expect(problems('      pump: { sampleRateHz: 20000 }\n')).toEqual([
      'assets[0].waveforms.pump: waveform channel "pump" is not a channel of the asset: add it to tags (pump: <sourceId>/<tagName>) or remove it from waveforms',
    ]);
    expect(problems('      vib: { sampleRateHz: 20000, features: [band_energy] }\n')).toEqual([
      'assets[0].waveforms.vib.bands: feature band_energy needs at least one band, e.g. bands: [[0, 1000]]; or drop band_energy from features',
    ]);
    expect(problems('      vib: { sampleRateHz: 20000, features: [band_energy], bands: [[500, 100], [12000, 15000]] }\n')).toEqual([
      'assets[0].waveforms.vib.bands[0]: band [500, 100) is empty: hi must be above lo',
      'assets[0].waveforms.vib.bands[1]: band [12000, 15000) starts above the Nyquist frequency 10000 Hz (sampleRateHz / 2): it can hold no energy; lower it or raise sampleRateHz',
    ]);
    expect(problems('      vib: { features: [rms] }\n')).toEqual(['assets[0].waveforms.vib.sampleRateHz: required number is missing']);
    expect(problems('      vib: { sampleRateHz: 20000, features: [] }\n')[0]).toMatch(/^assets\[0\]\.waveforms\.vib\.features: /);
    expect(problems('      vib: { sampleRateHz: 20000, features: [rsm] }\n')[0]).toMatch(/^assets\[0\]\.waveforms\.vib\.features\[0\]: expected one of mean, std, rms/);
    expect(problems('      vib: { sampleRateHz: 20000, lenght: 2048 }\n')).toEqual(['assets[0].waveforms.vib.lenght: unknown key (did you mean "length"?)']);
  });

  it('a feature channel named like a tag channel is refused', () => {
    const r = (() => {
      try {
        asset({ tags: { 'vib.rms': 's/x', vib: 's/v' }, waveforms: { vib: { sampleRateHz: 1000, features: ['rms'] } } });
      } catch (e) {
        return String(e);
      }
      return 'accepted';
    })();
    expect(r).toContain('feature channel \\"vib.rms\\" of waveform channel \\"vib\\" has the name of another channel: rename one of them');
  });
});

describe('models on an asset with waveforms', () => {
  it('bind to the frame grid: scalar tags first, then the waveform feature channels', () => {
    const a = asset({ tags: { t: 's/t', vib: 's/v' }, waveforms: { vib: { sampleRateHz: 1000, features: ['rms', 'kurtosis'] } }, models: [{ id: 'm', role: 'anomaly' }] });
    const m = modelManifest.parse({
      id: 'm', version: '1.0.0', kind: 'anomaly', sha256: '0'.repeat(64),
      inputs: [{ name: 'x', layout: 'frames', shape: [-1, 10, 2], channels: ['vib.kurtosis', 't'], frames: 10, normalization: { type: 'zscore', mean: [0, 0], std: [1, 1] } }],
      outputs: [{ name: 'score', meaning: 'anomaly-score' }],
    });
    expect(planInput('m@1.0.0', m.inputs[0], a).channelIndex).toEqual([2, 0]);
    const unknown = modelManifest.parse({ ...m, inputs: [{ ...m.inputs[0], channels: ['vib', 't'] }] });
    expect(() => planInput('m@1.0.0', unknown.inputs[0], a)).toThrow(/vib/);
  });
});
