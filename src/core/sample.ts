import type { Waveform } from './waveform';

/** Quality travels with every value; bad or stale data never silently becomes a feature. */
export type Quality = 'good' | 'uncertain' | 'bad';

/** A Waveform is a block of samples of one tag (src/core/waveform.ts); every other value is a scalar. */
export type SampleValue = number | boolean | string | null | Waveform;

/** One value of one tag, as read from a PLC. Timestamps are milliseconds since the epoch. */
export interface Sample {
  /** Fully qualified tag name: `<sourceId>/<tagName>`. */
  readonly tag: string;
  readonly value: SampleValue;
  /** Time the device (or the OPC-UA server) says the value was taken. */
  readonly sourceTs: number;
  /** Time the gateway received it. */
  readonly receivedTs: number;
  /**
   * Time the OPC-UA server stamped the value (its ServerTimestamp), kept beside the source time;
   * absent when the server sent none, and for protocols without one (Modbus).
   */
  readonly serverTs?: number;
  readonly quality: Quality;
  /**
   * The protocol's original status (OPC-UA StatusCode value, Modbus exception code): whenever it is
   * not plain Good (0), so a Good sub-code such as GoodClamped or GoodLocalOverride is kept too.
   */
  readonly status?: { readonly code: number; readonly text: string };
}

export function tagId(sourceId: string, tagName: string): string {
  return `${sourceId}/${tagName}`;
}

export function isUsable(s: Sample): s is Sample & { value: number } {
  return s.quality !== 'bad' && typeof s.value === 'number' && Number.isFinite(s.value);
}
