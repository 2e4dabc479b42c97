import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal Modbus TCP responder on a raw socket: FC3/FC4 from one register array, FC1/FC2 from one
 * bit array. Hand-rolled on purpose: it answers in microseconds (modbus-serial's ServerTCP adds about
 * a millisecond per request, which would make a bench measure the peer), and it can misbehave in
 * ways no real device does on demand (tests of the poller's robustness).
 */
export type ResponderFault =
  | 'none'
  | 'garbage' // random bytes instead of an answer
  | 'short' // a valid MBAP header announcing fewer bytes than the byte count needs
  | 'wrong-tid' // a correct answer with another transaction id
  | 'wrong-unit' // a correct answer from another unit id
  | 'wrong-fc' // a correct answer with another function code
  | 'stall' // half an answer, then silence
  | 'huge-length' // an MBAP header announcing 65535 bytes, then silence
  | 'silent' // no answer at all
  | { exception: number }; // a well-formed exception response with this code

export class ModbusResponder {
  readonly registers: Uint16Array;
  readonly bits: Uint8Array;
  fault: ResponderFault = 'none';
  requests = 0;
  private server: Server | undefined;
  readonly sockets = new Set<Socket>();

  constructor(size = 10_000) {
    this.registers = new Uint16Array(size);
    this.bits = new Uint8Array(size);
  }

  listen(port: number, host = '127.0.0.1'): Promise<void> {
    const server = createServer((sock) => this.serve(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 8) {
        const len = buf.readUInt16BE(4);
        if (buf.length < 6 + len) return;
        const frame = buf.subarray(0, 6 + len);
        buf = buf.subarray(6 + len);
        this.requests++;
        const answer = this.answer(frame);
        if (answer) sock.write(answer);
      }
    });
  }

  private answer(req: Buffer): Buffer | undefined {
    const tid = req.readUInt16BE(0);
    const unit = req[6] as number;
    const fc = req[7] as number;
    const start = req.readUInt16BE(8);
    const count = req.readUInt16BE(10);
    let pdu: Buffer;
    if (fc === 3 || fc === 4) {
      if (count < 1 || count > 125 || start + count > this.registers.length) pdu = Buffer.from([fc | 0x80, 2]);
      else {
        pdu = Buffer.allocUnsafe(2 + count * 2);
        pdu[0] = fc;
        pdu[1] = count * 2;
        for (let i = 0; i < count; i++) pdu.writeUInt16BE(this.registers[start + i] as number, 2 + 2 * i);
      }
    } else if (fc === 1 || fc === 2) {
      if (count < 1 || count > 2000 || start + count > this.bits.length) pdu = Buffer.from([fc | 0x80, 2]);
      else {
        const n = Math.ceil(count / 8);
        pdu = Buffer.alloc(2 + n);
        pdu[0] = fc;
        pdu[1] = n;
        for (let i = 0; i < count; i++) if (this.bits[start + i]) pdu[2 + (i >> 3)] = (pdu[2 + (i >> 3)] as number) | (1 << (i & 7));
      }
    } else {
      pdu = Buffer.from([fc | 0x80, 1]);
    }
    return this.misbehave(mbapFrame(tid, unit, pdu), pdu);
  }

  private misbehave(ok: Buffer, pdu: Buffer): Buffer | undefined {
    if (typeof this.fault === 'object') return mbapFrame(ok.readUInt16BE(0), ok[6] as number, Buffer.from([(pdu[0] as number) | 0x80, this.fault.exception]));
    switch (this.fault) {
      case 'none':
        return ok;
      case 'garbage':
        return Buffer.from('this is not modbus at all \u0001\u0002\u0003');
      case 'short': {
        const b = Buffer.from(ok.subarray(0, 6 + 3));
        b.writeUInt16BE(3, 4);
        return b;
      }
      case 'wrong-tid':
        ok.writeUInt16BE((ok.readUInt16BE(0) + 7) & 0xffff, 0);
        return ok;
      case 'wrong-unit':
        ok[6] = ((ok[6] as number) + 1) & 0xff;
        return ok;
      case 'wrong-fc':
        ok[7] = pdu[0] === 3 ? 4 : 3;
        return ok;
      case 'stall':
        return ok.subarray(0, Math.max(7, ok.length >> 1));
      case 'huge-length':
        ok.writeUInt16BE(0xffff, 4);
        return ok.subarray(0, 7);
      case 'silent':
        return undefined;
    }
  }
}

/** An MBAP frame around `pdu` (function code first). */
export function mbapFrame(tid: number, unit: number, pdu: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  b.set(pdu, 7);
  return b;
}
