import { systemClock } from '../../src/core/clock';
import { uplinkConfig } from '../../src/uplink/config';
import { Planner } from '../../src/uplink/planner';
import { DailyBudget } from '../../src/uplink/rate-limit';
import { makeOutbox, telemetry } from '../outbox/helpers';

// A class held after a refusal used to be skipped without a wake-up: when another class's shorter
// hold had set the uplink's only timer, nothing looked at the held class again until new records
// arrived (a drained backlog with no new appends stalled for good; seen in uplink-packet-size).
describe('Planner and held classes', () => {
  it('skips a held class but asks to be woken when its hold ends', async () => {
    const ob = makeOutbox();
    await ob.start();
    const cfg = uplinkConfig.parse({ url: 'mqtt://127.0.0.1:1' });
    const wakes: number[] = [];
    let hold = 250;
    const planner = new Planner(ob, cfg, new DailyBudget(undefined, 0.8, systemClock), systemClock, (ms) => wakes.push(ms), (cls) => (cls === 'telemetry' ? hold : 0));
    ob.append(telemetry(600, 'a1'));
    expect(planner.next(4)).toEqual([]);
    expect(wakes).toEqual([250]);
    hold = 0;
    const batches = planner.next(4);
    expect(batches.map((b) => [b.cls, b.records])).toEqual([['telemetry', 500], ['telemetry', 100]]);
    await ob.stop();
  });
});
