import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetConfig } from '../../src/assets/config';
import { AssetPipeline } from '../../src/assets/pipeline';
import { SampleRouter } from '../../src/assets/router';
import type { WindowResult } from '../../src/assets/types';
import { Waveform } from '../../src/core/waveform';
import { silentLogger } from '../../src/observability/logger';
import { opcuaSourceConfig } from '../../src/sources/opcua/config';
import { OpcuaSource } from '../../src/sources/opcua/opcua-source';
import { ChildPeer } from '../helpers/child-peer';
import { freePort } from '../helpers/ports';
import { SourceRecorder } from '../helpers/source-events';

const FS = 20_000;
const N = 2048;
const F = (64 * FS) / N; // 625 Hz, exactly on FFT bin 64
const AMPS = [1, 2, 3];

/** The peer's block of amplitude a, computed the same way (bit for bit). */
function tone(a: number): Float64Array {
  return Float64Array.from({ length: N }, (_, i) => a * Math.sin((2 * Math.PI * 64 * i) / N));
}

const PEER = join(__dirname, 'peers/waveform-peer.js');

/**
 * A real node-opcua server (its own process: peers/waveform-peer.js) publishing a Double array
 * variable, a vibration sensor's acquisition block, and the gateway's OPC-UA source, router and
 * asset pipeline: the block arrives as a Waveform and the pipeline computes its features.
 */
describe('OPC-UA Double array variable -> waveform block -> asset pipeline features (end to end)', () => {
  let peer: ChildPeer;
  let endpoint: string;
  let src: OpcuaSource | undefined;
  let pipeline: AssetPipeline | undefined;
  beforeAll(async () => {
    const port = await freePort();
    endpoint = `opc.tcp://127.0.0.1:${port}`;
    peer = new ChildPeer(process.execPath, [PEER, '--port', String(port), '--n', String(N), '--bin', '64', '--tick', '100', '--bad-every', '7']);
    await peer.start();
  });
  afterAll(async () => {
    await peer.kill('SIGTERM');
  });
  afterEach(async () => {
    await src?.stop();
    await pipeline?.stop();
    src = undefined;
  });

  for (const mode of ['subscribe', 'poll'] as const) {
    it(`${mode}: each block's rms, band energy and dominant frequency as in closed form; a bad block is counted, not a feature`, async () => {
      // the peer publishes a new block every 100 ms (amplitudes 1, 2, 3 in turn; every 7th one bad)
      src = new OpcuaSource(opcuaSourceConfig.parse({
        id: 'pump', type: 'opcua', endpoint, mode, publishingIntervalMs: 50, samplingIntervalMs: 25, pollIntervalMs: 100,
        reconnect: { initialMs: 200, maxMs: 1000 },
        nodes: [{ name: 'speed', nodeId: 'ns=1;s=Speed' }, { name: 'vib', nodeId: 'ns=1;s=Vib' }],
      }), { logger: silentLogger(), dataDir: mkdtempSync(join(tmpdir(), 'pdm-wave-')) });
      pipeline = new AssetPipeline({
        config: assetConfig.parse({
          id: 'pump1',
          tags: { speed: 'pump/speed', vib: 'pump/vib' },
          window: { type: 'time', size: 1000, frameMs: 200, latenessMs: 400, frameAgg: 'last' }, // two blocks in a frame: the later one
          gaps: { policy: 'degraded' },
          features: ['last', 'max'],
          waveforms: { vib: { sampleRateHz: FS, length: N, features: ['rms', 'band_energy', 'dominant_freq'], bands: [[0, 1000], [1000, 10_001]] } },
        }),
        logger: silentLogger(),
      });
      const windows: WindowResult[] = [];
      pipeline.on('window', (w) => windows.push(w));
      new SampleRouter([pipeline]).attach(src);
      const rec = new SourceRecorder(src);
      await pipeline.start();
      await src.start();
      await rec.until('a bad block and windows with vib features', () => rec.samples.some((s) => s.tag === 'pump/vib' && s.quality === 'bad') && windows.filter((w) => w.features['vib.rms']).length >= 3, 20_000);

      // the source delivers each block as a Waveform of the array's doubles
      const blocks = rec.samples.filter((s) => s.tag === 'pump/vib' && s.quality === 'good');
      expect(blocks.length).toBeGreaterThan(3);
      for (const b of blocks) {
        expect(b.value).toBeInstanceOf(Waveform);
        const x = (b.value as Waveform).samples;
        expect(x).toHaveLength(N);
        const a = AMPS.find((amp) => Math.abs(x[8] - amp) < 1e-12); // sin(2 pi 64 * 8 / 2048) = 1
        expect(a).toBeDefined();
        expect(Array.from(x)).toEqual(Array.from(tone(a!)));
      }
      // each window's latest block: rms a / sqrt(2), energy a^2 / 2 in [0, 1000) and none above, peak at F
      for (const w of windows.filter((x) => x.features['vib.rms'])) {
        const rms = w.features['vib.rms'].last;
        const a = AMPS.find((amp) => Math.abs(rms - amp * Math.SQRT1_2) < 1e-12);
        if (a === undefined) throw new Error(`window ${w.start}: vib.rms ${rms} is no tone's a / sqrt(2)`);
        expect(w.features['vib.band_energy_0_1000'].last).toBeCloseTo((a * a) / 2, 12);
        expect(w.features['vib.band_energy_1000_10001'].last).toBeCloseTo(0, 12);
        expect(w.features['vib.dominant_freq']).toEqual({ last: F, max: F });
        expect(w.features.speed.last).toBeGreaterThanOrEqual(1480);
      }
      const st = pipeline.stats();
      expect(st.waveformBlocks).toBe(blocks.length);
      expect(st.waveformBlocksBad).toBe(rec.samples.filter((s) => s.tag === 'pump/vib' && s.quality === 'bad').length);
      expect(st.waveformBlocksBad).toBeGreaterThan(0);
      expect(st.waveformBlocksNotWaveform + st.waveformBlocksWrongLength + st.waveformBlocksNonFinite + st.invalidSamples).toBe(0);
    }, 40_000);
  }
});
