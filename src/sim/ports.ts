import { createServer } from 'node:net';

/**
 * A TCP port free a moment ago on `host`. Needed because neither server library can listen on
 * port 0 and report the port: modbus-serial turns 0 into 502 and node-opcua writes the configured
 * port into its endpoint URLs.
 */
export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
