import type { RecordClass } from './config';

/** Main -> worker: the next blocks of a class above `after`, at most `maxBlocks` / about `maxBytes` of bodies. */
export interface ReadRequest {
  readonly type: 'read';
  readonly cls: RecordClass;
  readonly gen: number;
  readonly after: number;
  readonly maxBlocks: number;
  readonly maxBytes: number;
}

/**
 * Main -> worker: delete every block below a key per class (acked, see LeaseBook.purge) and write
 * meta values, in one transaction. Fire and forget: a failure is reported as a `PurgeError`
 * and only means the rows are deleted by the next purge or sent again after a restart.
 */
export interface PurgeRequest {
  readonly type: 'purge';
  readonly below: readonly (readonly [RecordClass, number])[];
  readonly meta: readonly (readonly [string, number])[];
}

export interface PurgeError {
  readonly type: 'purge-error';
  readonly message: string;
}

/** Per block, in `ReadResponse.meta`: these numbers, in this order. */
export const META = ['key', 'n', 'bytes', 'firstSeq', 'lastSeq', 'firstTs', 'lastTs', 'created', 'attempts', 'bodyLength'] as const;
export const META_WIDTH = META.length;

/** Worker -> main: the blocks read, in key order; `meta` and `bodies` are transferred, not copied. */
export interface ReadResponse {
  readonly type: 'blocks';
  readonly cls: RecordClass;
  readonly gen: number;
  readonly after: number;
  readonly assets: string[];
  readonly meta: Float64Array;
  /**
   * Per block, its body: the whole of an ArrayBuffer (better-sqlite3 allocates one per value),
   * so it is transferred, never copied; a body that is a view of a larger buffer is copied.
   */
  readonly bodies: ArrayBuffer[];
}

export interface WorkerData {
  readonly file: string;
  /** Resolved path of better-sqlite3 (the worker's code is not a module with its own require paths). */
  readonly sqlite: string;
  /** META_WIDTH (the worker's code cannot import it). */
  readonly metaWidth: number;
  readonly tables: readonly (readonly [RecordClass, string])[];
}

export type ToWorker = ReadRequest | PurgeRequest | { readonly type: 'close' };
export type FromWorker = ReadResponse | PurgeError;

type ReaderRow = [key: number, asset: string, n: number, bytes: number, firstSeq: number, lastSeq: number, firstTs: number, lastTs: number, created: number, attempts: number, body: Buffer];

/**
 * The read-ahead worker's whole program. It runs from its source text (`String(readerMain)`,
 * see read-ahead.ts) so the same code works from the TypeScript sources under jest and from
 * dist/: it must stay self-contained (no imports, no outer names) and get everything through
 * `req` and `workerData`. It opens its own connection (WAL lets it read while the main connection
 * writes; its deletes wait for the main connection's writes and the other way round, through
 * busy_timeout) and handles requests one at a time, in order, each in one transaction. (Code
 * coverage instrumentation would break it: the worker then fails and the outbox reads on the main
 * thread, as after any worker failure.)
 */
export function readerMain(req: NodeRequire): void {
  const wt = req('node:worker_threads') as typeof import('node:worker_threads');
  const data = wt.workerData as WorkerData;
  const port = wt.parentPort!;
  const Database = req(data.sqlite) as typeof import('better-sqlite3');
  const db = new Database(data.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL'); // deleting acked blocks: a lost delete only causes a re-send
  const cols = 'key, asset, n, bytes, first_seq, last_seq, first_ts, last_ts, created, attempts, body';
  const stmts = new Map(data.tables.map(([cls, t]) => [cls, db.prepare<[number, number], ReaderRow>(`SELECT ${cols} FROM ${t} WHERE key > ? ORDER BY key LIMIT ?`).raw()]));
  const deletes = new Map(data.tables.map(([cls, t]) => [cls, db.prepare<[number]>(`DELETE FROM ${t} WHERE key < ?`)]));
  const setMeta = db.prepare<[string, number]>(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  const purge = db.transaction((m: PurgeRequest) => {
    for (const [cls, below] of m.below) deletes.get(cls)!.run(below);
    for (const [k, v] of m.meta) setMeta.run(k, v);
  });
  const width = data.metaWidth;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      db.close();
      port.close();
      return;
    }
    if (m.type === 'purge') {
      try {
        purge.immediate(m);
      } catch (e) {
        port.postMessage({ type: 'purge-error', message: e instanceof Error ? e.message : String(e) } satisfies PurgeError);
      }
      return;
    }
    const rows: ReaderRow[] = [];
    let total = 0;
    for (const r of stmts.get(m.cls)!.iterate(m.after, m.maxBlocks)) {
      rows.push(r);
      total += r[10].length;
      if (total >= m.maxBytes) break;
    }
    const bodies: ArrayBuffer[] = [];
    const meta = new Float64Array(rows.length * width);
    const assets: string[] = [];
    rows.forEach((r, i) => {
      const o = i * width;
      meta[o] = r[0]; // then n .. attempts (row columns 2-9), then the body length
      for (let k = 1; k < 9; k++) meta[o + k] = r[k + 1] as number;
      meta[o + 9] = r[10].length;
      assets.push(r[1]);
      const b = r[10];
      const whole = b.byteOffset === 0 && b.buffer.byteLength === b.length && b.buffer instanceof ArrayBuffer;
      bodies.push(whole ? (b.buffer as ArrayBuffer) : new Uint8Array(b).buffer);
    });
    const res: ReadResponse = { type: 'blocks', cls: m.cls, gen: m.gen, after: m.after, assets, meta, bodies };
    port.postMessage(res, [...bodies, meta.buffer]);
  });
}
