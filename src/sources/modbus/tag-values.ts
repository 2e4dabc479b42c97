import type { Sample, SampleValue } from '../../core/sample';
import type { ModbusRegisterConfig } from './config';
import { isBigIntegerText, scaleValue, type ModbusType } from './codec';

/** What a sample needs to know of its tag (a planned tag, or a register and its full name). */
export interface TagRef {
  readonly reg: ModbusRegisterConfig;
  readonly tag: string;
}

interface Last {
  value: SampleValue;
  quality: Sample['quality'];
}

/**
 * Turns decoded raw values into the values to emit: scale and offset, per-tag deadband (a value inside the
 * deadband of the last emitted one is dropped unless its quality changed). Bad values always pass.
 */
export class TagValues {
  /** Last emitted value per tag, kept only for tags with a deadband. */
  private readonly last = new Map<string, Last>();

  /** The good value to emit for a raw one (scaled), or undefined when the deadband holds it back. */
  value(t: TagRef, raw: SampleValue): SampleValue | undefined {
    const reg = t.reg;
    const value = scaleValue(raw, reg.scale, reg.offset, reg.type);
    if (reg.deadband !== undefined) {
      const prev = this.last.get(t.tag);
      if (prev && prev.quality === 'good' && inDeadband(prev.value, value, reg.deadband, reg.type)) return undefined;
      this.last.set(t.tag, { value, quality: 'good' });
    }
    return value;
  }

  bad(t: TagRef, status: { code: number; text: string }, ts: number): Sample {
    if (t.reg.deadband !== undefined) this.last.set(t.tag, { value: null, quality: 'bad' });
    return { tag: t.tag, value: null, sourceTs: ts, receivedTs: ts, quality: 'bad', status };
  }

  /** Forget everything (after a reconnect the first value of each tag passes the deadband). */
  reset(): void {
    this.last.clear();
  }
}

function inDeadband(prev: SampleValue, next: SampleValue, deadband: number, type: ModbusType): boolean {
  if (typeof prev === 'number' && typeof next === 'number') return Math.abs(next - prev) <= deadband;
  if (isBigIntegerText(type, prev) || isBigIntegerText(type, next)) {
    // a 64-bit integer beyond 2^53 on either side: the exact difference, as an integer
    const d = BigInt(prev as number | string) - BigInt(next as number | string);
    return Number(d < 0n ? -d : d) <= deadband;
  }
  return prev === next;
}
