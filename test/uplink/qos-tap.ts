/**
 * Counts the QoS 1/2 PUBLISH packets a client has sent on one connection and the broker has not
 * acknowledged yet (PUBACK / PUBREC), from the raw bytes a proxy forwards: what a broker's Receive
 * Maximum limits, seen from outside the client. Mosquitto 2.0.11 advertises a Receive Maximum but
 * does not enforce it, so a test cannot rely on it disconnecting an offender.
 */
export class QosTap {
  /** Unacknowledged QoS > 0 publishes now, and the most at any time. */
  outstanding = 0;
  peak = 0;
  private up: Buffer = Buffer.alloc(0);
  private down: Buffer = Buffer.alloc(0);

  /** Client-to-broker bytes that were forwarded. */
  fromClient(d: Buffer): void {
    this.up = frames(Buffer.concat([this.up, d]), (first) => {
      if (first >> 4 === 3 && ((first >> 1) & 3) > 0) this.peak = Math.max(this.peak, ++this.outstanding);
    });
  }

  /** Broker-to-client bytes. */
  fromBroker(d: Buffer): void {
    this.down = frames(Buffer.concat([this.down, d]), (first) => {
      const type = first >> 4;
      if (type === 4 || type === 5) this.outstanding--;
    });
  }
}

/** Calls `packet` with the first byte of each whole MQTT packet in `buf`; returns what is left. */
function frames(buf: Buffer, packet: (first: number) => void): Buffer {
  let at = 0;
  for (;;) {
    // fixed header: type/flags byte, then the remaining length (1-4 bytes, 7 bits each)
    let len = 0;
    let i = at + 1;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) return buf.subarray(at);
      const b = buf[i++]!;
      len += (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (i + len > buf.length) return buf.subarray(at);
    packet(buf[at]!);
    at = i + len;
  }
}
