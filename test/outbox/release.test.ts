import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox, outboxConfig } from '../../src/outbox';
import { captureLogger } from '../uplink/helpers';
import { idsOf, telemetry, tempDir } from './helpers';

describe('Outbox.release when the attempts count cannot be written', () => {
  const tmp = tempDir('pdm-release-');
  afterAll(() => tmp.cleanup());

  // release() once bumped the attempts in a transaction before it released the blocks in the
  // lease book: when that transaction failed (SQLITE_FULL, SQLITE_BUSY) the error went to the
  // caller and the blocks stayed leased, never offered again until a restart.
  it('releases the blocks all the same (logged and counted) when the database is locked by another writer', async () => {
    const file = join(tmp.dir, 'locked.db');
    const log = captureLogger();
    const ob = new Outbox({ file, gatewayId: 'gw1', config: outboxConfig.parse({}), logger: log.logger });
    await ob.start();
    const other = new Database(file);
    try {
      const ids = ob.append(telemetry(20, 'a1'));
      const leased = ob.lease(100);
      expect(idsOf(leased)).toEqual(ids);
      expect(ob.lease(100)).toEqual([]);
      // A real fault: another connection holds the write lock past the busy timeout (5 s).
      other.exec('BEGIN IMMEDIATE');
      expect(ob.release(leased)).toBe(20);
      other.exec('ROLLBACK');
      expect(ob.stats()).toMatchObject({ released: 20, attemptsNotCounted: 1, leased: 0 });
      const warn = log.lines.find((l) => l.msg === 'outbox: counting the attempts of released blocks failed; released all the same');
      expect(warn).toMatchObject({ level: 40, file, blocks: 1 });
      expect(String(warn?.err)).toMatch(/locked|busy/i);
      // Offered again at once, attempts not bumped.
      const again = ob.lease(100);
      expect(idsOf(again)).toEqual(ids);
      expect(again[0]!.attempts).toBe(0);
      expect(ob.ack(again)).toBe(20);
    } finally {
      other.close();
      await ob.stop();
    }
  }, 20_000);
});
