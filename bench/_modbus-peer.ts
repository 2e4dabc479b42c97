/**
 * Child process of bench/ingest: N fast raw-socket Modbus TCP responders (see _modbus-responder.ts
 * for why not modbus-serial's ServerTCP). Usage: node _modbus-peer.js <firstPort> <devices> <registers>
 */
import { ModbusResponder } from './_modbus-responder';

async function main(): Promise<void> {
  const [first, devices, registers] = process.argv.slice(2).map(Number) as [number, number, number];
  const all: ModbusResponder[] = [];
  for (let d = 0; d < devices; d++) {
    const r = new ModbusResponder(registers);
    for (let i = 0; i < registers; i++) r.registers[i] = (d * 1000 + i) & 0xffff;
    await r.listen(first + d);
    all.push(r);
  }
  // values move, so a deadband or a change filter could not make the bench look better than it is
  setInterval(() => {
    for (const r of all) for (let i = 0; i < r.registers.length; i++) r.registers[i] = ((r.registers[i] as number) + 1) & 0xffff;
  }, 100);
  process.stdout.write('READY\n');
}

void main();
