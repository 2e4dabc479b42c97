import { parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { simulatorConfig } from '../../src/sim/config';

function problems(yaml: string): string[] {
  try {
    parseConfig(`gateway: { id: g, site: s }\nsimulator:\n${yaml}`, 'sim.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('simulator config', () => {
  it('has working defaults', () => {
    expect(simulatorConfig.parse({})).toEqual({
      enabled: false,
      host: '127.0.0.1',
      opcuaPort: 4840,
      modbusPort: 5020,
      timeScale: 1,
      seed: 42,
      updateIntervalMs: 100,
      turbofan: { cyclesPerSecond: 1, lifeCycles: 250, restartOnFailure: true },
      faults: [],
    });
  });

  it('checks fault channels with the path at fault', () => {
    expect(
      problems(`  faults:
    - { fault: stuck, atSeconds: 3 }
    - { fault: dropout, atSeconds: 3, channel: Curent }
    - { fault: cavitation, atSeconds: 3, channel: Current }
    - { fault: dropout, atSeconds: 3, channel: "Volume Flow RateRMS" }
`),
    ).toEqual([
      'simulator.faults[0].channel: required for stuck',
      expect.stringMatching(/^simulator\.faults\[1\]\.channel: unknown channel, expected one of Pump1\.Accelerometer1RMS, .*, Fan1\.TrueRUL, got "Curent"$/),
      'simulator.faults[2].channel: cavitation acts on the whole pump and takes no channel, got "Current"',
    ]);
  });

  it('rejects a bad replay format and a typo in a key', () => {
    expect(problems('  replay: { file: x.csv, format: csv }\n  timescale: 3\n').sort()).toEqual([
      'simulator.timescale: unknown key (did you mean "timeScale"?)',
      'simulator.replay.format: expected one of cmapss, skab, got "csv"',
    ].sort());
  });
});
