import type { Module, ModuleHealth, LinkState } from '../core/lifecycle';
import type { Sample } from '../core/sample';

/** What the status line shows of an asset's input, when the asset keeps it itself. */
export interface AssetInputView {
  readonly samples: number;
  readonly bad: number;
  /** channel -> latest value that was not bad */
  readonly latest: Readonly<Record<string, Sample['value']>>;
}

export interface AssetTaps {
  readonly id: string;
  /** Where the counts and latest values come from (the asset pipeline, which sees every sample anyway); `maxLatest` bounds the latest values listed. */
  readonly view: (maxLatest?: number) => AssetInputView;
  /** Why there is no fresh health to show (a window still filling, a model calibrating), shown instead of the last health. */
  readonly waiting?: () => string | undefined;
}

/** The latest model output of an asset, for the status line. */
export interface HealthView {
  readonly role: 'anomaly' | 'rul';
  readonly value: number;
  readonly state: string;
  readonly units?: string;
}

/** Latest values shown per asset on the status line. */
const SHOWN_VALUES = 5;

interface AssetCounters extends AssetTaps {
  health: readonly HealthView[];
  samplesAtLastTick: number;
}

export interface LinkView {
  readonly name: string;
  readonly state: LinkState;
  readonly detail?: string;
}

export interface StatusInputs {
  links(): readonly LinkView[];
  uplink(): { state: LinkState; recordsSent: number; backlog: number } | undefined;
  windows(assetId: string): number;
}

/**
 * The compact live status a plant engineer watches on the terminal: per asset the latest values,
 * samples/s and bad-quality count; per link its state; the uplink's state and records sent.
 */
export class LiveStatus implements Module {
  readonly name = 'status';
  private readonly assets: AssetCounters[];
  private timer: NodeJS.Timeout | undefined;
  private lastTick = Date.now();

  constructor(
    assets: readonly AssetTaps[],
    private readonly inputs: StatusInputs,
    private readonly opts: { intervalMs: number; write: (text: string) => void; title: string },
  ) {
    this.assets = assets.map((a) => ({ ...a, health: [], samplesAtLastTick: 0 }));
  }

  /** The health results of an asset's latest window (anomaly score / RUL and their state). */
  observeHealth(assetId: string, health: readonly HealthView[]): void {
    const a = this.assets.find((x) => x.id === assetId);
    if (a) a.health = health;
  }

  async start(): Promise<void> {
    this.lastTick = Date.now();
    if (this.opts.intervalMs > 0) {
      this.timer = setInterval(() => this.opts.write(this.render()), this.opts.intervalMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  health(): ModuleHealth {
    return { healthy: true, state: this.timer || this.opts.intervalMs === 0 ? 'up' : 'stopped' };
  }

  /** Samples/s are measured between two renders (the render period). */
  render(now = Date.now()): string {
    const dt = Math.max(1, now - this.lastTick) / 1000;
    this.lastTick = now;
    const time = new Date(now).toISOString().slice(11, 19);
    const links = this.inputs.links().map((l) => `${l.name} ${l.state}`).join(', ');
    const up = this.inputs.uplink();
    const uplink = up ? `uplink ${up.state} sent=${up.recordsSent} backlog=${up.backlog}` : 'uplink off';
    const lines = [`[${time}] ${this.opts.title} | ${links || 'no sources'} | ${uplink}`];
    const width = Math.max(...this.assets.map((a) => a.id.length), 4);
    for (const a of this.assets) {
      // one view per asset and render, listing only the latest values shown
      const v = a.view(SHOWN_VALUES);
      const rate = (v.samples - a.samplesAtLastTick) / dt;
      a.samplesAtLastTick = v.samples;
      const vals = Object.entries(v.latest)
        .map(([k, x]) => `${k}=${typeof x === 'number' ? fmt(x) : String(x)}`)
        .join(' ');
      // why there is no fresh health (a window filling, also after a gap when the last health is stale; a model calibrating) comes first
      const health = a.waiting?.() ?? a.health.map((h) => (h.role === 'rul' ? `RUL ${fmt(h.value)}${h.units ? ` ${h.units}` : ''} ${h.state}` : `score ${fmt(h.value)} ${h.state}`)).join(', ');
      lines.push(`  ${a.id.padEnd(width)}  ${rate.toFixed(1).padStart(6)} smp/s  bad ${String(v.bad).padStart(4)}  win ${String(this.inputs.windows(a.id)).padStart(4)}  ${health ? `[${health}]  ` : ''}${vals}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
