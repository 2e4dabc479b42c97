/** @jest-environment ./test/ml/ort-environment.js */
import { createServer } from 'node:net';
import { Gateway } from '../../src/gateway';
import { silentLogger } from '../../src/observability/logger';
import { FatalError } from '../../src/core/errors';
import { demoConfig } from './demo-config';
import { freePort } from '../helpers/ports';

describe('gateway lifecycle', () => {
  it('starts and stops twice in one process, and the second run works', async () => {
    const cfg = await demoConfig(2000);
    const count = (kinds: string[]) => process.getActiveResourcesInfo().filter((r) => kinds.includes(r)).length;
    const NET = ['TCPServerWrap', 'TCPSocketWrap', 'FSReqCallback'];
    const before = { net: count(NET), timers: count(['Timeout']) };
    for (let round = 0; round < 2; round++) {
      const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
      await gw.start();
      const t0 = Date.now();
      while (gw.assets.some((a) => a.stats().samples === 0) && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 100));
      expect(gw.assets.map((a) => a.stats().samples > 0)).toEqual([true, true]);
      const { timedOut } = await gw.stop();
      expect(timedOut).toEqual([]);
      expect(gw.healthReport().modules['http']?.state).toBe('stopped');
    }
    // Nothing left behind: no listening server, no socket, no timer of ours after stop().
    await new Promise((r) => setTimeout(r, 1000));
    const resources = process.getActiveResourcesInfo();
    expect(count(NET)).toBeLessThanOrEqual(before.net);
    expect(count(['Timeout'])).toBeLessThanOrEqual(before.timers);
    expect(resources.filter((r) => r === 'TCPServerWrap')).toEqual([]);
  }, 90000);

  it('keeps running when the PLCs and the broker are unreachable, and /healthz names them', async () => {
    const cfg = await demoConfig();
    cfg.config.simulator.enabled = false;
    cfg.config.broker.enabled = false;
    const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
    await gw.start();
    // Each link reports down once its first attempt fails (an OPC-UA connect to a closed port
    // can take a while on a loaded machine): poll instead of sampling one instant.
    type Body = { status: string; unhealthy: { name: string; state: string; detail?: string }[] };
    let res: Response;
    let body: Body;
    const end = Date.now() + 20000;
    do {
      await new Promise((r) => setTimeout(r, 250));
      res = await fetch(`http://127.0.0.1:${cfg.ports.http}/healthz`);
      body = (await res.json()) as Body;
    } while (body.unhealthy.some((u) => u.state !== 'down') && Date.now() < end);
    await gw.stop();
    expect(res.status).toBe(503);
    expect(body.status).toBe('degraded');
    const names = body.unhealthy.map((u) => u.name).sort();
    expect(names).toEqual(['source fan1', 'source pump1', 'uplink'].sort());
    for (const u of body.unhealthy) expect(u.state).toBe('down');
  }, 60000);

  it('names the module that fails to start and stops the ones already started', async () => {
    const cfg = await demoConfig();
    cfg.config.simulator.enabled = false;
    cfg.config.broker.enabled = false;
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    cfg.config.observability.http.port = port;
    const gw = new Gateway(cfg, { logger: silentLogger(), statusWriter: () => undefined });
    let err: unknown;
    try {
      await gw.start();
    } catch (e) {
      err = e;
    }
    blocker.close();
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toBe(`http: failed to start: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
    expect(gw.sources.map((s) => s.health().state)).toEqual(['stopped', 'stopped']);
    expect(gw.outbox.health().state).toBe('stopped');
  }, 60000);
});
