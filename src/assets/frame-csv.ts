import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { FatalError, SkipError } from '../core/errors';

/** Rows of an asset's channels read from a recorded CSV, ready for `AssetPipeline.pushFrame`. */
export interface FrameCsv {
  /** Source time of each row (epoch ms, or k x frameMs when the file has no time column). */
  readonly ts: Float64Array;
  /** rows x channels, in the asset's channel order; NaN = no value in that cell. */
  readonly values: Float64Array;
  readonly rows: number;
  /** The column the times came from, if any. */
  readonly timeColumn?: string;
  /** Columns that are not channels of the asset (ignored). */
  readonly ignored: readonly string[];
  /** Rows left out (bad time), short rows and cells read as missing (not a number), each with its line. */
  readonly problems: readonly SkipError[];
}

export interface FrameCsvOptions {
  /**
   * Column holding each row's time: epoch milliseconds or an ISO 8601 date. Default: time,
   * timestamp, datetime or ts, if present; null: none (rows frameMs apart whatever the file says).
   */
  readonly timeColumn?: string | null;
  /** Column of a channel whose column is not named after it. */
  readonly columns?: Readonly<Record<string, string>>;
  /** Spacing of the rows when there is no time column. */
  readonly frameMs: number;
}

const TIME_NAMES = ['time', 'timestamp', 'datetime', 'ts'];

/**
 * Reads a CSV with a header row (comma, semicolon or tab separated, as SKAB's files are) whose
 * columns are named after the asset's channels. A missing channel column is fatal, naming the
 * channels and the header; a bad cell or time is reported with its line and the rest is kept.
 */
export function readFrameCsv(file: string, channels: readonly string[], opts: FrameCsvOptions): FrameCsv {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info: true` each record comes with its line (csv-parse's typings do not model the option).
    records = parse(readFileSync(file, 'utf8'), { delimiter: [',', ';', '\t'], trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (e) {
    throw new FatalError(file, `not a readable CSV: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (records.length === 0) throw new FatalError(file, 'empty: expected a header row naming the channels');
  const header = records[0]!.record;
  for (const c of Object.keys(opts.columns ?? {})) if (!channels.includes(c)) throw new FatalError(file, `column given for ${c}, which is not a channel of the asset (channels: ${channels.join(', ')})`);
  const named = channels.map((c) => opts.columns?.[c] ?? c);
  const col = named.map((c) => header.indexOf(c));
  const missing = named.filter((_, i) => col[i]! < 0);
  if (missing.length > 0) throw new FatalError(file, `no column ${missing.join(', ')} (header: ${header.join(', ')}); name the columns after the asset's channels (${channels.join(', ')}) or map them (replay --columns channel=column,...)`);
  const timeColumn = opts.timeColumn === null ? undefined : opts.timeColumn ?? header.find((h) => TIME_NAMES.includes(h.toLowerCase()));
  const timeCol = timeColumn === undefined ? -1 : header.indexOf(timeColumn);
  if (timeColumn !== undefined && timeCol < 0) throw new FatalError(file, `no time column ${timeColumn} (header: ${header.join(', ')})`);

  const body = records.slice(1);
  const ts = new Float64Array(body.length);
  const values = new Float64Array(body.length * channels.length);
  const problems: SkipError[] = [];
  let rows = 0;
  for (const { record, info } of body) {
    const at = `${file}:${info.lines}`;
    const t = timeCol < 0 ? rows * opts.frameMs : parseTime(record[timeCol] ?? '');
    if (!Number.isFinite(t)) {
      problems.push(new SkipError(at, `time ${JSON.stringify(record[timeCol] ?? '')} is neither epoch milliseconds nor an ISO 8601 date; row left out`));
      continue;
    }
    ts[rows] = t;
    // A cut row (a recorder stopped mid-line) keeps the cells it has.
    if (record.length < header.length) problems.push(new SkipError(at, `${record.length} of ${header.length} columns; the absent cells are read as missing`));
    col.forEach((k, c) => {
      const text = record[k] ?? '';
      const v = text === '' ? Number.NaN : Number(text);
      if (text !== '' && !Number.isFinite(v)) problems.push(new SkipError(at, `${channels[c]} = ${JSON.stringify(text)} is not a number; read as missing`));
      values[rows * channels.length + c] = Number.isFinite(v) ? v : Number.NaN;
    });
    rows++;
  }
  const used = new Set([...named, ...(timeColumn === undefined ? [] : [timeColumn])]);
  return { ts: ts.subarray(0, rows), values: values.subarray(0, rows * channels.length), rows, timeColumn, ignored: header.filter((h) => !used.has(h)), problems };
}

/** Epoch milliseconds, or an ISO 8601 date (SKAB writes "2020-03-09 10:14:33"). */
function parseTime(text: string): number {
  if (text === '') return Number.NaN;
  const n = Number(text);
  return Number.isFinite(n) ? n : Date.parse(text);
}
