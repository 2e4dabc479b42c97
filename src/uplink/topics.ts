import type { RecordClass } from '../outbox/config';

/** The topic scheme of docs/mqtt.md: `<prefix>/<site>/<gateway>/...`. */
export class Topics {
  readonly base: string;
  constructor(prefix: string, site: string, gateway: string) {
    this.base = `${prefix.replace(/\/+$/, '')}/${site}/${gateway}`;
  }
  /** Records of one class and asset. */
  data(cls: RecordClass, asset: string): string {
    return `${this.base}/${cls}/${asset}`;
  }
  /** Retained online/offline status; also the last will. */
  get status(): string {
    return `${this.base}/status`;
  }
  /** Downlink commands to this gateway. */
  get cmd(): string {
    return `${this.base}/cmd`;
  }
  /** Replies to downlink commands. */
  get reply(): string {
    return `${this.base}/cmd/reply`;
  }
}

/** Subscription filter for every gateway's records under a prefix (cloud side). */
export function dataFilter(prefix = 'pdm/v1'): string {
  return `${prefix}/+/+/+/+`;
}
