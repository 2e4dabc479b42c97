import type ModbusRTU from 'modbus-serial';
import { classifyModbusSerialError } from './errors';
import type { ModbusArea } from './planner';

/** One read through modbus-serial's client API, errors classified (RTU lines; TCP frames its own reads: transport-tcp.ts). */
export async function clientRead(
  client: ModbusRTU,
  unitId: number,
  area: ModbusArea,
  start: number,
  count: number,
  timeoutMs: number,
): Promise<Buffer | boolean[]> {
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  try {
    switch (area) {
      case 'holding':
        return (await client.readHoldingRegisters(start, count)).buffer;
      case 'input':
        return (await client.readInputRegisters(start, count)).buffer;
      case 'coil':
        return (await client.readCoils(start, count)).data.slice(0, count);
      case 'discrete':
        return (await client.readDiscreteInputs(start, count)).data.slice(0, count);
    }
  } catch (e) {
    throw classifyModbusSerialError(e);
  }
}
