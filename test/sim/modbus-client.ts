import type { EventEmitter } from 'node:events';
import ModbusRTU from 'modbus-serial';

export async function modbusClient(port: number): Promise<ModbusRTU> {
  const m = new ModbusRTU();
  await m.connectTCP('127.0.0.1', { port });
  m.setID(1);
  m.setTimeout(2000);
  return m;
}

export const closeModbus = (m: ModbusRTU) => new Promise<void>((r) => m.close(() => r()));

/** Resolves when the server closes the client's socket (modbus-serial's typings omit its events). */
export const closedByPeer = (m: ModbusRTU) => new Promise<void>((r) => (m as unknown as EventEmitter).once('close', () => r()));
