import { FaultBook, checkInjection, parseFaultSpec, parseFaultText } from '../../src/sim/faults';
import { SkipError } from '../../src/core/errors';
import { Plant } from '../../src/sim/plant';
import { simulatorConfig } from '../../src/sim/config';

describe('fault parsing', () => {
  it('parses the live Sim.Fault text', () => {
    expect(parseFaultText('cavitation:0.8')).toEqual({ fault: 'cavitation', severity: 0.8 });
    expect(parseFaultText(' valve-closed:0.5:30 ')).toEqual({ fault: 'valve-closed', severity: 0.5, durationSeconds: 30 });
    expect(parseFaultText('dropout:1:Current')).toEqual({ fault: 'dropout', severity: 1, channel: 'Current' });
    expect(parseFaultText('stuck:1:Fan1.s4:12')).toEqual({ fault: 'stuck', severity: 1, channel: 'Fan1.s4', durationSeconds: 12 });
    expect(parseFaultText('bearing-wear')).toEqual({ fault: 'bearing-wear', severity: 1 });
    expect(parseFaultText('none')).toBeNull();
    expect(parseFaultText('')).toBeNull();
  });

  it('rejects bad faults with a message naming the field', () => {
    expect(() => parseFaultText('cavitaton:0.8')).toThrow('fault: unknown fault "cavitaton", expected one of cavitation, bearing-wear, valve-closed, dropout, stuck');
    expect(() => parseFaultText('cavitation:1.5')).toThrow('fault.severity: expected a number in 0..1, got 1.5');
    expect(() => parseFaultText('dropout:1')).toThrow(/^fault\.channel: dropout needs a channel/);
    expect(() => parseFaultText('stuck:1:Nope')).toThrow(/^fault\.channel: unknown channel "Nope"/);
    expect(() => parseFaultText('cavitation:1:Current')).toThrow('fault.channel: cavitation acts on the whole pump and takes no channel (got "Current")');
    expect(() => parseFaultText('cavitation:x')).toThrow(SkipError);
  });

  it('parses CLI schedules KIND@START[:DURATION[:SEVERITY[:CHANNEL]]]', () => {
    expect(parseFaultSpec('cavitation@30:60:0.8')).toEqual({ fault: 'cavitation', atSeconds: 30, durationSeconds: 60, severity: 0.8 });
    expect(parseFaultSpec('stuck@10::1:Pressure')).toEqual({ fault: 'stuck', atSeconds: 10, severity: 1, channel: 'Pressure' });
    expect(parseFaultSpec('bearing-wear@0')).toEqual({ fault: 'bearing-wear', atSeconds: 0, severity: 1 });
    expect(() => parseFaultSpec('cavitation')).toThrow('--fault cavitation: expected KIND@START[:DURATION[:SEVERITY[:CHANNEL]]], e.g. cavitation@30:60:0.8');
    expect(() => parseFaultSpec('dropout@5:10:1')).toThrow(/^--fault dropout@5:10:1: fault\.channel: dropout needs a channel/);
  });

  it('resolves channel names: full, bare, and SKAB spelling with spaces', () => {
    expect(checkInjection({ fault: 'dropout', severity: 1, channel: 'Volume Flow RateRMS' }).channel).toBe('Pump1.VolumeFlowRateRMS');
    expect(checkInjection({ fault: 'dropout', severity: 1, channel: 's21' }).channel).toBe('Fan1.s21');
    expect(checkInjection({ fault: 'dropout', severity: 1, channel: 'Fan1.Cycle' }).channel).toBe('Fan1.Cycle');
  });
});

describe('FaultBook schedule', () => {
  it('starts scheduled faults at their simulated time and ends them after their duration', () => {
    const book = new FaultBook([
      { fault: 'valve-closed', atSeconds: 20, severity: 0.5 },
      { fault: 'cavitation', atSeconds: 10, durationSeconds: 5, severity: 0.8 },
    ]);
    expect(book.update(9.9).started).toEqual([]);
    const a = book.update(10);
    expect(a.started.map((f) => [f.fault, f.startS, f.endS])).toEqual([['cavitation', 10, 15]]);
    expect(book.pumpLevels()).toEqual({ cavitation: 0.8, 'bearing-wear': 0, 'valve-closed': 0 });
    expect(book.update(15).ended.map((f) => f.fault)).toEqual(['cavitation']);
    book.update(25);
    expect(book.pumpLevels()).toEqual({ cavitation: 0, 'bearing-wear': 0, 'valve-closed': 0.5 });
    book.clear();
    expect(book.list()).toEqual([]);
  });

  it('a fault whose whole window falls inside one large step still starts and ends', () => {
    const book = new FaultBook([{ fault: 'cavitation', atSeconds: 10, durationSeconds: 5, severity: 1 }]);
    const r = book.update(100);
    expect(r.started).toHaveLength(1);
    expect(r.ended).toHaveLength(1);
  });

  it('refuses an invalid schedule entry at construction', () => {
    expect(() => new FaultBook([{ fault: 'stuck', atSeconds: 1, severity: 1 }])).toThrow(/stuck needs a channel/);
  });
});

describe('channel faults in the plant', () => {
  const cfg = simulatorConfig.parse({ seed: 5 });

  it('dropout keeps the last good value with bad quality; stuck freezes the value with good quality', () => {
    const plant = new Plant(cfg);
    plant.step(1, 1000);
    const before = plant.snapshot().values;
    plant.inject({ fault: 'dropout', severity: 1, channel: 'Current' });
    plant.inject({ fault: 'stuck', severity: 1, channel: 'Pressure' });
    plant.inject({ fault: 'stuck', severity: 1, channel: 'Fan1.s4' });
    for (let t = 2; t < 20; t++) plant.step(1, t * 1000);
    const after = plant.snapshot().values;
    expect(after['Pump1.Current']).toEqual({ value: before['Pump1.Current'].value, quality: 'bad', sourceTs: 19_000 });
    expect(after['Pump1.Pressure']).toEqual({ value: before['Pump1.Pressure'].value, quality: 'good', sourceTs: 19_000 });
    expect(after['Fan1.s4'].value).toBe(before['Fan1.s4'].value);
    expect(after['Pump1.Voltage'].value).not.toBe(before['Pump1.Voltage'].value);
    expect(after['Fan1.s3'].value).not.toBe(before['Fan1.s3'].value);
    plant.clearFaults();
    plant.step(1, 20_000);
    expect(plant.snapshot().values['Pump1.Current'].quality).toBe('good');
    expect(plant.snapshot().values['Pump1.Current'].value).not.toBe(before['Pump1.Current'].value);
  });

  it('a plant is deterministic for a seed, whatever the wall-clock stamps', () => {
    const run = (ts: number) => {
      const p = new Plant(cfg);
      for (let i = 0; i < 30; i++) p.step(0.1, ts + i);
      return Object.values(p.snapshot().values).map((v) => v.value);
    };
    expect(run(0)).toEqual(run(1e12));
  });
});
