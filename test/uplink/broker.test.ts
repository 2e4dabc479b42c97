import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../src/broker';
import { silentLogger } from '../../src/observability/logger';
import { freePort } from '../helpers/ports';
import { waitFor } from './helpers';

describe('EmbeddedBroker', () => {
  it('listens on a free port, keeps it across a restart, and stops cleanly', async () => {
    const b = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    expect(b.health()).toMatchObject({ healthy: false, state: 'stopped' });
    await b.start();
    const port = b.port;
    expect(port).toBeGreaterThan(0);
    expect(b.health()).toEqual({ healthy: true, state: 'up' });
    const c = await mqtt.connectAsync(b.url, { protocolVersion: 4, reconnectPeriod: 0 });
    const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.subscribeAsync('t/1', { qos: 1 });
    await c.publishAsync('t/1', 'hello', { qos: 1 });
    expect(await got).toBe('hello');
    // aedes emits 'publish' (which the count follows) after it has delivered to subscribers.
    await waitFor(() => b.stats().published > 0, 1000, 'publish counted');
    expect(b.stats()).toMatchObject({ state: 'up', clients: 1, published: 1, starts: 1 });
    await b.stop();
    expect(b.health().state).toBe('stopped');
    await b.start();
    expect(b.port).toBe(port);
    await c.endAsync(true);
    await b.stop();
  });

  it('fails to start with an error naming the address when the port is taken', async () => {
    const a = new EmbeddedBroker({ host: '127.0.0.1', port: await freePort(), logger: silentLogger() });
    await a.start();
    const b = new EmbeddedBroker({ host: '127.0.0.1', port: a.port, logger: silentLogger() });
    await expect(b.start()).rejects.toThrow(new RegExp(`^broker 127.0.0.1:${a.port}: cannot listen: .*EADDRINUSE`));
    await a.stop();
  });
});
