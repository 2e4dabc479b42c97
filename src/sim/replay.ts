import { readFileSync } from 'node:fs';
import { FatalError, SkipError } from '../core/errors';
import { PUMP_CHANNELS } from './pump-calibration';
import { FAN_SENSORS } from './turbofan-calibration';
import type { SignalName } from './signals';

export type ReplayFormat = 'cmapss' | 'skab';

export interface ReplayOptions {
  file: string;
  format: ReplayFormat;
  /** C-MAPSS: the engine unit to replay (default: the first unit in the file). */
  unit?: number;
  rowsPerSecond: number;
  loop: boolean;
}

/** One row of a replayed file, as the signals it sets. */
export type ReplayRow = Partial<Record<SignalName, number>>;

export interface ParsedReplay {
  readonly asset: 'Pump1' | 'Fan1';
  readonly rows: readonly ReplayRow[];
  /** Lines that could not be parsed, each with the reason (line numbers from 1). */
  readonly skipped: readonly SkipError[];
}

const CMAPSS_COLUMNS = 26;
/** C-MAPSS column index of sensor sN: unit, cycle, 3 settings, then s1..s21. */
const cmapssColumn = (sensor: string) => 4 + Number(sensor.slice(1));

/**
 * C-MAPSS text (whitespace separated, 26 columns, no header). TrueRUL is the cycles left in the
 * file for that unit: the true RUL for run-to-failure (train) files, a lower bound for test files.
 */
export function parseCmapss(text: string, file: string, unit?: number): ParsedReplay {
  const skipped: SkipError[] = [];
  const byUnit = new Map<number, { cycle: number; cols: number[] }[]>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    const cols = t.split(/\s+/).map(Number);
    if (cols.length !== CMAPSS_COLUMNS) return void skipped.push(new SkipError(`${file}:${i + 1}`, `expected ${CMAPSS_COLUMNS} columns (C-MAPSS), got ${cols.length}`));
    const bad = cols.findIndex((c) => !Number.isFinite(c));
    if (bad >= 0) return void skipped.push(new SkipError(`${file}:${i + 1}`, `column ${bad + 1} is not a number`));
    const u = cols[0]!;
    if (!byUnit.has(u)) byUnit.set(u, []);
    byUnit.get(u)!.push({ cycle: cols[1]!, cols });
  });
  if (byUnit.size === 0) throw new FatalError(file, `no C-MAPSS rows (26 whitespace-separated numbers per line)${skipped[0] ? `; first problem: ${skipped[0].message}` : ''}`);
  const chosen = unit ?? byUnit.keys().next().value!;
  const rows = byUnit.get(chosen);
  if (!rows) throw new FatalError(file, `unit ${chosen} not in the file (units ${[...byUnit.keys()].slice(0, 10).join(', ')}${byUnit.size > 10 ? ', ...' : ''})`);
  const last = Math.max(...rows.map((r) => r.cycle));
  return {
    asset: 'Fan1',
    skipped,
    rows: rows.map(({ cycle, cols }) => {
      const row: ReplayRow = { 'Fan1.Cycle': cycle, 'Fan1.TrueRUL': last - cycle };
      for (const s of FAN_SENSORS) row[`Fan1.${s}`] = cols[cmapssColumn(s)]!;
      return row;
    }),
  };
}

/** SKAB text: `;` separated with a header naming the channels (spaces in names are ignored). */
export function parseSkab(text: string, file: string): ParsedReplay {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(';').map((h) => h.trim().replace(/\s+/g, ''));
  const index = new Map<SignalName, number>();
  for (const c of PUMP_CHANNELS) {
    const i = header.indexOf(c);
    if (i >= 0) index.set(`Pump1.${c}`, i);
  }
  if (index.size === 0) throw new FatalError(file, `no SKAB channel in the header (expected ${PUMP_CHANNELS.join(';')}, ";" separated), got "${lines[0] ?? ''}"`);
  const skipped: SkipError[] = [];
  const rows: ReplayRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cols = line.split(';');
    const row: ReplayRow = {};
    let problem: string | undefined;
    for (const [signal, col] of index) {
      const raw = cols[col]?.trim();
      const v = raw === undefined || raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        problem = `${header[col]}: "${raw ?? ''}" is not a number`;
        break;
      }
      row[signal] = v;
    }
    if (problem) skipped.push(new SkipError(`${file}:${i + 1}`, problem));
    else rows.push(row);
  }
  if (rows.length === 0) throw new FatalError(file, `no SKAB data rows${skipped[0] ? `; first problem: ${skipped[0].message}` : ''}`);
  return { asset: 'Pump1', rows, skipped };
}

export function loadReplay(opts: Pick<ReplayOptions, 'file' | 'format' | 'unit'>): ParsedReplay {
  let text: string;
  try {
    text = readFileSync(opts.file, 'utf8');
  } catch (e) {
    throw new FatalError(opts.file, `cannot read replay file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  return opts.format === 'cmapss' ? parseCmapss(text, opts.file, opts.unit) : parseSkab(text, opts.file);
}

/** Steps through parsed rows at `rowsPerSecond` of simulated time, looping or holding the last row. */
export class ReplayPlayer {
  private position = 0;
  private loops = 0;

  constructor(
    readonly parsed: ParsedReplay,
    private readonly rowsPerSecond: number,
    private readonly loop: boolean,
  ) {}

  /** Advances by dt simulated seconds and returns the row now current. */
  advance(dtS: number): ReplayRow {
    const n = this.parsed.rows.length;
    this.position += dtS * this.rowsPerSecond;
    if (this.position >= n) {
      if (this.loop) {
        this.loops += Math.floor(this.position / n);
        this.position %= n;
      } else {
        this.position = n - 1;
      }
    }
    return this.current();
  }

  current(): ReplayRow {
    return this.parsed.rows[Math.floor(this.position)]!;
  }

  get rowIndex(): number {
    return Math.floor(this.position);
  }

  stats(): { replayRow: number; replayRows: number; replayLoops: number; replaySkippedLines: number } {
    return { replayRow: this.rowIndex, replayRows: this.parsed.rows.length, replayLoops: this.loops, replaySkippedLines: this.parsed.skipped.length };
  }
}
