import { createServer, connect, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { QosTap } from './qos-tap';

/**
 * A TCP proxy that can lose traffic: `hold()` drops everything the current clients send from
 * then on (a link that died silently), `cut()` resets every connection. It produces the faults a
 * healthy broker cannot. New connections are never held.
 */
export class LossyProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held = new WeakSet<Socket>();
  /** Client-to-broker bytes per second when throttled (a slow uplink), else undefined. */
  private rate?: number;
  private readonly backlog: [Socket, Buffer][] = [];
  private pacer?: NodeJS.Timeout;
  port = 0;
  /** Per connection, in the order they came: QoS 1/2 publishes in flight through it (see QosTap). */
  readonly taps: QosTap[] = [];
  /**
   * Strip the Maximum Packet Size from MQTT 5 CONNACKs of new connections: a broker that enforces
   * a limit it does not announce (Mosquitto always announces its max_packet_size).
   */
  hideMaximumPacketSize = false;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `down()`): the broker is reachable. */
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const tap = new QosTap();
      this.taps.push(tap);
      client.on('data', (d) => {
        if (this.held.has(client)) return;
        tap.fromClient(d);
        if (this.rate === undefined) upstream.write(d);
        else this.backlog.push([upstream, d]);
      });
      const toClient = this.hideMaximumPacketSize ? withoutMaximumPacketSize((d) => client.write(d)) : (d: Buffer) => client.write(d);
      upstream.on('data', (d) => {
        tap.fromBroker(d);
        toClient(d);
      });
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    this.server = server;
  }

  hold(): void {
    for (const [c] of this.pairs) this.held.add(c);
  }

  /** Client-to-broker traffic at most `bytesPerSecond` from now on, in order (a slow link that works). */
  throttle(bytesPerSecond: number): void {
    this.rate = bytesPerSecond;
    const tickMs = 10;
    clearInterval(this.pacer);
    this.pacer = setInterval(() => {
      let budget = (bytesPerSecond * tickMs) / 1000;
      while (budget > 0 && this.backlog.length > 0) {
        const [up, d] = this.backlog[0]!;
        const n = Math.min(d.length, Math.ceil(budget));
        if (!up.destroyed) up.write(d.subarray(0, n));
        budget -= n;
        if (n === d.length) this.backlog.shift();
        else this.backlog[0] = [up, d.subarray(n)];
      }
    }, tickMs);
  }

  /** Resets every connection. */
  cut(): void {
    for (const [c, u] of this.pairs) {
      c.resetAndDestroy();
      u.destroy();
    }
    this.pairs.clear();
  }

  /** Unreachable: connections reset, new ones refused, until `start()`. */
  async stop(): Promise<void> {
    clearInterval(this.pacer);
    this.backlog.length = 0;
    this.cut();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** Broker-to-client bytes with the first packet, the CONNACK, re-encoded without its Maximum Packet Size. */
function withoutMaximumPacketSize(write: (d: Buffer) => void): (d: Buffer) => void {
  let head: Buffer | undefined = Buffer.alloc(0);
  return (d) => {
    if (head === undefined) return write(d);
    head = Buffer.concat([head, d]);
    // fixed header: type byte, then the remaining length in 1-4 bytes of 7 bits
    let len = 0;
    let i = 1;
    for (let mul = 1; i < head.length && i <= 4; i++, mul *= 128) {
      len += (head[i]! & 127) * mul;
      if (head[i]! < 128) break;
    }
    if (i >= head.length || head.length < i + 1 + len) return; // not whole yet
    const end = i + 1 + len;
    let connack: mqttPacket.IConnackPacket | undefined;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p) => (connack = p as mqttPacket.IConnackPacket));
    parser.parse(head.subarray(0, end));
    if (connack?.cmd !== 'connack') throw new Error('expected a CONNACK first');
    delete connack.properties?.maximumPacketSize;
    write(mqttPacket.generate(connack, { protocolVersion: 5 }));
    const rest = head.subarray(end);
    head = undefined;
    if (rest.length > 0) write(rest);
  };
}
