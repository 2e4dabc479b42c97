import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFrameCsv } from '../../src/assets/frame-csv';

describe('readFrameCsv: recorded rows for a replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-frame-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('maps the columns to the channels in the asset\'s order, reads times, and names what it ignored', () => {
    const f = file('epoch.csv', 'ts,b,extra,a\n1000,20,x,10\n2000,21,y,11\n\n3000,,z,12\n');
    const r = readFrameCsv(f, ['a', 'b'], { frameMs: 1000 });
    expect(r).toMatchObject({ rows: 3, timeColumn: 'ts', ignored: ['extra'], problems: [] });
    expect(Array.from(r.ts)).toEqual([1000, 2000, 3000]);
    expect(Array.from(r.values)).toEqual([10, 20, 11, 21, 12, Number.NaN]); // an empty cell is no value
  });

  it('reads SKAB\'s semicolons and ISO dates, maps a renamed column, or spaces the rows frameMs apart', () => {
    const text = 'datetime;Flow Rate;p\n2020-03-09 10:14:33;1.5;4\n2020-03-09 10:14:34;1.6;5\n';
    const r = readFrameCsv(file('skab.csv', text), ['p', 'flow'], { frameMs: 250, columns: { flow: 'Flow Rate' } });
    expect(Array.from(r.ts)).toEqual([Date.parse('2020-03-09 10:14:33'), Date.parse('2020-03-09 10:14:33') + 1000]);
    expect(Array.from(r.values)).toEqual([4, 1.5, 5, 1.6]);
    expect(r.ignored).toEqual([]);
    const spaced = readFrameCsv(file('skab2.csv', text), ['p', 'flow'], { frameMs: 250, columns: { flow: 'Flow Rate' }, timeColumn: null });
    expect(Array.from(spaced.ts)).toEqual([0, 250]);
    expect(spaced.ignored).toEqual(['datetime']);
  });

  it('reports a bad time (row left out) and a bad cell (read as missing) with their lines, and keeps the rest', () => {
    const f = file('bad.csv', 'time,a\n0,1\nnoon,2\n2000,three\n3000,4\n4000\n');
    const r = readFrameCsv(f, ['a'], { frameMs: 1000 });
    expect(r.rows).toBe(4);
    expect(Array.from(r.ts)).toEqual([0, 2000, 3000, 4000]);
    expect(Array.from(r.values)).toEqual([1, Number.NaN, 4, Number.NaN]);
    expect(r.problems.map((p) => p.message)).toEqual([
      `${f}:3: time "noon" is neither epoch milliseconds nor an ISO 8601 date; row left out`,
      `${f}:4: a = "three" is not a number; read as missing`,
      `${f}:6: 1 of 2 columns; the absent cells are read as missing`,
    ]);
  });

  it('refuses a file without a column for a channel, naming the channels, the header and the fix', () => {
    const f = file('missing.csv', 'time,a,vibration\n0,1,2\n');
    expect(() => readFrameCsv(f, ['a', 'vib'], { frameMs: 1000 })).toThrow(`${f}: no column vib (header: time, a, vibration); name the columns after the asset's channels (a, vib) or map them (replay --columns channel=column,...)`);
    expect(() => readFrameCsv(f, ['a'], { frameMs: 1000, columns: { vib: 'vibration' } })).toThrow(`${f}: column given for vib, which is not a channel of the asset (channels: a)`);
    expect(() => readFrameCsv(f, ['a'], { frameMs: 1000, timeColumn: 'when' })).toThrow(`${f}: no time column when (header: time, a, vibration)`);
    expect(() => readFrameCsv(file('empty.csv', ''), ['a'], { frameMs: 1000 })).toThrow('empty: expected a header row naming the channels');
  });
});
