import { PUMP_CHANNELS } from './pump-calibration';
import { FAN_SENSORS } from './turbofan-calibration';
import type { SignalName, SignalPoint } from './signals';

/**
 * The simulator's Modbus register map (documented in src/sim/README.md; config/demo.yaml relies on
 * it). Floats are IEEE-754 float32 "ABCD": big-endian, high word first; uint32 high word first.
 */
export const HOLDING_FAN_FLOATS = FAN_SENSORS.map((s, i) => ({ signal: `Fan1.${s}` as SignalName, address: 2 * i }));
export const HOLDING_CYCLE = 28;
export const HOLDING_TRUE_RUL = 30;
export const HOLDING_COUNT = 32;
export const INPUT_PUMP_FLOATS = PUMP_CHANNELS.map((c, i) => ({ signal: `Pump1.${c}` as SignalName, address: 2 * i }));
export const INPUT_COUNT = 16;
export const COIL_FAULT_ACTIVE = 0;
export const COIL_COUNT = 1;
export const UNIT_ID = 1;

const scratch = Buffer.alloc(4);

export function writeFloat32(image: Uint16Array, address: number, value: number): void {
  scratch.writeFloatBE(value, 0);
  image[address] = scratch.readUInt16BE(0);
  image[address + 1] = scratch.readUInt16BE(2);
}

export function writeUint32(image: Uint16Array, address: number, value: number): void {
  const v = Math.max(0, Math.min(0xffffffff, Math.round(value)));
  image[address] = Math.floor(v / 0x10000);
  image[address + 1] = v % 0x10000;
}

export function readFloat32(words: ArrayLike<number>, address: number): number {
  scratch.writeUInt16BE(words[address]!, 0);
  scratch.writeUInt16BE(words[address + 1]!, 2);
  return scratch.readFloatBE(0);
}

export function readUint32(words: ArrayLike<number>, address: number): number {
  return words[address]! * 0x10000 + words[address + 1]!;
}

/**
 * Writes the points into the register images. A point under dropout keeps its registers at the
 * last good value (a Modbus register has no quality: it just stops updating).
 */
export function fillImages(points: ReadonlyMap<SignalName, SignalPoint>, holding: Uint16Array, input: Uint16Array): void {
  const good = (s: SignalName) => {
    const p = points.get(s);
    return p && p.quality === 'good' ? p : undefined;
  };
  for (const { signal, address } of HOLDING_FAN_FLOATS) {
    const p = good(signal);
    if (p) writeFloat32(holding, address, p.value);
  }
  const cycle = good('Fan1.Cycle');
  if (cycle) writeUint32(holding, HOLDING_CYCLE, cycle.value);
  const rul = good('Fan1.TrueRUL');
  if (rul) writeUint32(holding, HOLDING_TRUE_RUL, rul.value);
  for (const { signal, address } of INPUT_PUMP_FLOATS) {
    const p = good(signal);
    if (p) writeFloat32(input, address, p.value);
  }
}
