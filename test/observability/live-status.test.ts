import { SampleRouter } from '../../src/assets/router';
import { LiveStatus } from '../../src/observability/live-status';
import { asset, harness, s } from '../assets/helpers';

/** An asset of 7 channels c0..c6 (tags src/c0..), fed through a router as the gateway feeds it. */
function setup() {
  const tags = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`c${i}`, `src/c${i}`]));
  const h = harness(asset({ id: 'press-1', tags, window: { type: 'time', size: 2000, frameMs: 1000 } }));
  const push = new SampleRouter([h.p]).listener();
  const calls: (number | undefined)[] = [];
  const status = new LiveStatus(
    [{ id: h.p.id, view: (max) => (calls.push(max), h.p.inputView(max)) }],
    { links: () => [{ name: 'plc', state: 'up' }], uplink: () => ({ state: 'up', recordsSent: 12, backlog: 3 }), windows: () => 4 },
    { intervalMs: 0, write: () => undefined, title: 'pdm-gateway' },
  );
  return { h, push, calls, status };
}

describe('LiveStatus', () => {
  it('one line per asset: samples/s between renders, bad count, windows, the first five latest values; one view per asset per render', () => {
    const { push, calls, status } = setup();
    status.render(10_000);
    push(Array.from({ length: 7 }, (_, i) => s(`src/c${i}`, 10 + i, 1000)));
    push([s('src/c1', NaN, 1000, 'bad'), s('src/c2', 42.5, 1500)]);
    calls.length = 0;
    const text = status.render(12_000); // 9 samples in 2 s
    expect(calls).toEqual([5]);
    const [head, line] = text.trimEnd().split('\n');
    expect(head).toBe('[00:00:12] pdm-gateway | plc up | uplink up sent=12 backlog=3');
    expect(line).toBe('  press-1     4.5 smp/s  bad    1  win    4  c0=10 c1=11 c2=42.5 c3=13 c4=14');
  });

  it("shows why an asset has no fresh health (its first window filling, again after a gap) instead of the last one", () => {
    const h = harness(asset({ id: 'fan-1', tags: { a: 'src/a' }, window: { type: 'count', size: 3, frameMs: 1000, latenessMs: 0 } }));
    const status = new LiveStatus(
      [{ id: h.p.id, view: (max) => h.p.inputView(max), waiting: () => h.p.waiting() }],
      { links: () => [], uplink: () => undefined, windows: () => h.windows.length },
      { intervalMs: 0, write: () => undefined, title: 'pdm-gateway' },
    );
    const line = (): string => status.render(1_000).trimEnd().split('\n')[1]!;
    const push = new SampleRouter([h.p]).listener();
    expect(line()).toContain('win    0  [window 0/3 frames]');
    push([s('src/a', 1, 0), s('src/a', 2, 1000)]);
    expect(line()).toContain('[window 1/3 frames]  a=2'); // the second frame closes with the next one (lateness 0)
    status.observeHealth('fan-1', [{ role: 'rul', value: 80, state: 'normal', units: 'cycles' }]);
    push([s('src/a', 3, 2000), s('src/a', 4, 3000)]);
    expect(h.windows).toHaveLength(1);
    expect(line()).toContain('win    1  [RUL 80 cycles normal]  a=4');
    // A long silence restarts the windowing: the RUL shown would be stale, so the line says the window is filling.
    push([s('src/a', 5, 60_000), s('src/a', 6, 61_000)]);
    expect(h.p.stats().gapResets).toBe(1);
    expect(line()).toContain('[window 1/3 frames]  a=6');
  });

  it("an asset's input view lists every latest value unless bounded (the first that have one, in channel order)", () => {
    const { h, push } = setup();
    push([s('src/c6', 6, 1000), s('src/c1', 1, 1000), s('src/c4', 4, 1000)]);
    expect(h.p.inputView().latest).toEqual({ c1: 1, c4: 4, c6: 6 });
    expect(h.p.inputView(2).latest).toEqual({ c1: 1, c4: 4 });
  });
});
