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

interface AssetCounters {
  readonly id: string;
  readonly view: (maxLatest?: number) => AssetInputView;
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

export interface AssetStatusLine {
  readonly id: string;
  readonly samplesPerS: number;
  readonly samples: number;
  readonly bad: number;
  readonly windows: number;
  readonly latest: Readonly<Record<string, Sample['value']>>;
  readonly health: readonly HealthView[];
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
  private lastRates = new Map<string, number>();

  constructor(
    assets: readonly AssetTaps[],
    private readonly inputs: StatusInputs,
    private readonly opts: { intervalMs: number; write: (text: string) => void; title: string },
  ) {
    this.assets = assets.map((a) => ({ id: a.id, view: a.view, health: [], samplesAtLastTick: 0 }));
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

  /** Rates are measured between two calls of render() (the render period). */
  assetLines(maxLatest?: number): AssetStatusLine[] {
    return this.assets.map((a) => this.line(a, a.view(maxLatest)));
  }

  render(now = Date.now()): string {
    const dt = Math.max(1, now - this.lastTick) / 1000;
    // one view per asset and render, listing only the latest values shown
    const views = this.assets.map((a) => a.view(SHOWN_VALUES));
    this.assets.forEach((a, i) => {
      const n = (views[i] as AssetInputView).samples;
      this.lastRates.set(a.id, (n - a.samplesAtLastTick) / dt);
      a.samplesAtLastTick = n;
    });
    this.lastTick = now;
    const time = new Date(now).toISOString().slice(11, 19);
    const links = this.inputs.links().map((l) => `${l.name} ${l.state}`).join(', ');
    const up = this.inputs.uplink();
    const uplink = up ? `uplink ${up.state} sent=${up.recordsSent} backlog=${up.backlog}` : 'uplink off';
    const lines = [`[${time}] ${this.opts.title} | ${links || 'no sources'} | ${uplink}`];
    const width = Math.max(...this.assets.map((a) => a.id.length), 4);
    this.assets.forEach((asset, i) => {
      const a = this.line(asset, views[i] as AssetInputView);
      const vals = Object.entries(a.latest)
        .slice(0, SHOWN_VALUES)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : String(v)}`)
        .join(' ');
      const health = a.health.map((h) => (h.role === 'rul' ? `RUL ${fmt(h.value)}${h.units ? ` ${h.units}` : ''} ${h.state}` : `score ${fmt(h.value)} ${h.state}`)).join(', ');
      lines.push(`  ${a.id.padEnd(width)}  ${a.samplesPerS.toFixed(1).padStart(6)} smp/s  bad ${String(a.bad).padStart(4)}  win ${String(a.windows).padStart(4)}  ${health ? `[${health}]  ` : ''}${vals}`);
    });
    return `${lines.join('\n')}\n`;
  }

  private line(a: AssetCounters, v: AssetInputView): AssetStatusLine {
    return { id: a.id, samplesPerS: this.lastRates.get(a.id) ?? 0, samples: v.samples, bad: v.bad, windows: this.inputs.windows(a.id), latest: v.latest, health: a.health };
  }
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
