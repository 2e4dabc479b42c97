import type { Sample, SampleValue } from '../../core/sample';
import { tagId } from '../../core/sample';
import type { ModbusRegisterConfig } from './config';
import { scaleValue } from './codec';

interface Last {
  value: SampleValue;
  quality: Sample['quality'];
}

/**
 * Turns decoded raw values into Samples: scale and offset, per-tag deadband (a value inside the
 * deadband of the last emitted one is dropped unless its quality changed). Bad values always pass.
 */
export class TagValues {
  private readonly last = new Map<string, Last>();
  constructor(private readonly sourceId: string) {}

  good(reg: ModbusRegisterConfig, raw: SampleValue, ts: number): Sample | undefined {
    const value = scaleValue(raw, reg.scale, reg.offset);
    const prev = this.last.get(reg.name);
    if (reg.deadband !== undefined && prev && prev.quality === 'good' && inDeadband(prev.value, value, reg.deadband)) return undefined;
    this.last.set(reg.name, { value, quality: 'good' });
    return { tag: tagId(this.sourceId, reg.name), value, sourceTs: ts, receivedTs: ts, quality: 'good' };
  }

  bad(reg: ModbusRegisterConfig, status: { code: number; text: string }, ts: number): Sample {
    this.last.set(reg.name, { value: null, quality: 'bad' });
    return { tag: tagId(this.sourceId, reg.name), value: null, sourceTs: ts, receivedTs: ts, quality: 'bad', status };
  }

  /** Forget everything (after a reconnect the first value of each tag passes the deadband). */
  reset(): void {
    this.last.clear();
  }
}

function inDeadband(prev: SampleValue, next: SampleValue, deadband: number): boolean {
  if (typeof prev === 'number' && typeof next === 'number') return Math.abs(next - prev) <= deadband;
  return prev === next;
}
