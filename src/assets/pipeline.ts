import type { Logger } from '../observability/logger';
import { iso, systemClock, type Clock } from '../core/clock';
import type { Module, ModuleHealth } from '../core/lifecycle';
import { ENTRY_VALUE, type ColumnBatch } from '../core/batch';
import type { Sample } from '../core/sample';
import { isWaveform } from '../core/waveform';
import type { AssetInputView } from '../observability/live-status';
import { TypedEmitter } from '../core/typed-emitter';
import { HealthTracker } from '../health/tracker';
import type { AlarmEvent } from '../health/types';
import { Aligner } from './align';
import type { OpenFrame } from './open-frames';
import { arrivalClock, type ArrivalClock } from './arrival-clock';
import { assetChannels, assetWindowFrames, type AssetConfig } from './config';
import { GapFiller, judgeCounts } from './gaps';
import { LatestValues } from './latest-values';
import { LogLimiter } from './log-limit';
import { ScoreQueue } from './score-queue';
import { AssetStats, type AssetStatsSnapshot } from './stats';
import type { ModelRunnerLike, SkippedWindow, WindowResult } from './types';
import { WindowFeaturizer } from './window-features';
import { Windower, type CutWindow } from './windower';
import { WaveformInputs, type WaveformStats } from './waveform-channel';
import { pipelineTicker } from './shared-ticker';
import { windowSink } from './window-sink';

export interface AssetPipelineEvents {
  /** A window's features (and health, when models are bound), in window order. */
  window: (w: WindowResult) => void;
  /** A window that was dropped (no data, or too little under the gap policy). */
  skipped: (w: SkippedWindow) => void;
  alarm: (a: AlarmEvent) => void;
}

export interface AssetPipelineOptions {
  readonly config: AssetConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly models?: ModelRunnerLike;
  /** Engineering unit per channel, from the source tag configs (channels without one are left out). */
  readonly channelUnits?: Readonly<Record<string, string>>;
}

/**
 * One asset: samples of its tags -> frames on a grid -> gap policy -> windows -> features ->
 * (models -> health and alarms). push() is synchronous; scoring is asynchronous (batched by the
 * model layer) but windows are emitted strictly in order, each exactly once.
 */
export class AssetPipeline extends TypedEmitter<AssetPipelineEvents> implements Module {
  readonly name: string;
  readonly id: string;
  /** The asset's kind (config `kind`, e.g. centrifugal-pump). */
  readonly kind: string;
  private readonly cfg: AssetConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly arrivals: ArrivalClock;
  /** Channels of the frame grid (assetChannels: waveform channels become their feature channels). */
  private readonly channels: string[];
  /** Input channels, in sourceTags order (the same as `channels` when the asset has no waveform). */
  private readonly inputs: readonly string[];
  /** Source tag of each input channel (a SampleRouter looks tags up for every pipeline at once). */
  private readonly tagOf: readonly string[];
  /** Waveform channels (inputs from index waves.scalars on): blocks -> features (src/assets/waveform-channel.ts). */
  private readonly waves: WaveformInputs;
  private readonly aligner: Aligner;
  private readonly filler: GapFiller;
  private readonly windower: Windower;
  private readonly tracker: HealthTracker;
  private readonly scores: ScoreQueue;
  private readonly featurizer: WindowFeaturizer;
  private readonly limiter: LogLimiter;
  private readonly st = new AssetStats();
  /** channel -> unit (only channels of this asset that have one), shared by every window; undefined when none. */
  readonly channelUnits: Readonly<Record<string, string>> | undefined;
  private readonly latenessMs: number;
  private readonly maxFutureMs: number;
  private readonly idleFlushMs: number;
  /** A sample was accepted since the last endBatch(). */
  private accepted = false;
  /** Latest value of each channel that was not bad (for the status line). */
  private readonly latest: LatestValues;
  private maxTs = -Infinity;
  private lastArrival = 0;
  private watermark = -Infinity;
  private seq = 0;
  /** Leaves the shared idle-check timer (set while started). */
  private untick: (() => void) | undefined;
  private running = false;

  constructor(opts: AssetPipelineOptions) {
    super();
    this.cfg = opts.config;
    this.id = this.cfg.id;
    this.kind = this.cfg.kind;
    this.name = `asset:${this.cfg.id}`;
    this.log = opts.logger.child({ asset: this.cfg.id });
    this.clock = opts.clock ?? systemClock;
    this.arrivals = arrivalClock(this.clock);
    this.channels = assetChannels(this.cfg);
    this.waves = new WaveformInputs(this.cfg.tags, this.cfg.waveforms);
    this.inputs = this.waves.inputs;
    this.tagOf = this.waves.tagOf;
    // units belong to source tags, so to input channels (a waveform's feature channels have none of their own)
    const units = this.inputs.filter((ch) => opts.channelUnits?.[ch] !== undefined).map((ch) => [ch, opts.channelUnits![ch]] as const);
    this.channelUnits = units.length > 0 ? Object.freeze(Object.fromEntries(units)) : undefined;
    const w = this.cfg.window;
    this.latenessMs = w.latenessMs ?? w.frameMs;
    this.maxFutureMs = w.maxFutureMs;
    this.latest = new LatestValues(this.inputs.length);
    this.idleFlushMs = w.idleFlushMs ?? 2 * w.frameMs + this.latenessMs;
    const sizeFrames = assetWindowFrames(this.cfg);
    const stepFrames = w.type === 'time' ? Math.round((w.step ?? w.size) / w.frameMs) : Math.round(w.step ?? w.size);
    this.limiter = new LogLimiter(this.clock);
    this.featurizer = new WindowFeaturizer(this.cfg.features, this.cfg.spectral.bands, w.frameMs);
    this.tracker = new HealthTracker(this.cfg.id, this.cfg.health);
    this.filler = new GapFiller(this.channels.length, this.cfg.gaps);
    this.windower = new Windower({ type: w.type, sizeFrames, stepFrames, frameMs: w.frameMs, channels: this.channels }, (rw) => this.onWindow(rw));
    this.scores = new ScoreQueue({
      cfg: this.cfg, models: opts.models, windower: this.windower, tracker: this.tracker, st: this.st,
      warn: (key, message) => this.warn(key, message), note: (key, message) => this.limited('info', key, message), window: (r) => this.emit('window', r), alarm: (a) => this.emitAlarm(a),
    });
    this.aligner = new Aligner(
      { channels: this.channels.length, frameMs: w.frameMs, agg: w.frameAgg, maxGapFrames: 2 * sizeFrames },
      windowSink(this.windower, this.filler, this.st, this.channels.length),
      (skipped) => this.onReset(skipped),
    );
  }

  async start(): Promise<void> {
    this.running = true;
    this.untick?.();
    this.untick = pipelineTicker.every(Math.max(50, Math.min(this.cfg.window.frameMs, 1000)), () => this.tick(), (e) => this.log.error({ err: e }, 'idle check failed'));
  }

  /** Stops the idle timer and waits for the windows being scored; the partial window is dropped. */
  async stop(): Promise<void> {
    this.running = false;
    this.untick?.();
    this.untick = undefined;
    await this.drained();
  }

  /** Resolves once no window of this asset is being scored (a feed faster than scoring, such as a replay, paces itself on it). */
  async drained(): Promise<void> {
    if (this.scores.inFlight > 0) await this.scores.whenIdle();
  }

  health(): ModuleHealth {
    if (!this.running) return { healthy: false, state: 'stopped' };
    return { healthy: true, state: 'up' };
  }

  stats(): AssetStatsSnapshot & WaveformStats {
    return { ...this.st.snapshot(this.aligner.pending(), this.scores.inFlight, this.tracker.alarms.active().length, this.featurizer), ...this.waves.stats() };
  }

  /** Samples seen, bad ones, and the latest value per channel (of the first `maxLatest` that have one): the status line's view of the input. */
  inputView(maxLatest?: number): AssetInputView {
    return { samples: this.st.samples, bad: this.st.badSamples, latest: this.latest.view(this.inputs, maxLatest) };
  }

  /** Why the asset has no fresh health to show: its first window filling (after the start or a gap), or a model's baseline being learned. */
  waiting(): string | undefined {
    const fill = this.windower.firstWindowFill();
    return fill !== undefined ? `window ${fill}/${assetWindowFrames(this.cfg)} frames` : this.scores.calibrating;
  }

  /** Live alarms of this asset (for SCADA and the status line). */
  activeAlarms(): ReturnType<HealthTracker['alarms']['active']> {
    return this.tracker.alarms.active();
  }

  /** Operator acknowledgement of a live alarm by key; false when there is none to acknowledge. */
  acknowledge(key: string, by?: string): boolean {
    const e = this.tracker.alarms.acknowledge(key, this.clock.now(), by);
    if (e) this.emitAlarm(e);
    return e !== undefined;
  }

  /** The asset's input channels (one per source tag, waveforms included), each with its tag and unit (when known). */
  channelInfo(): { readonly name: string; readonly tag: string; readonly units?: string }[] {
    return this.inputs.map((name, c) => ({ name, tag: this.tagOf[c], ...(this.channelUnits?.[name] !== undefined ? { units: this.channelUnits[name] } : {}) }));
  }

  /** The source tag of each channel, in channel order (what a router routes on). */
  get sourceTags(): readonly string[] {
    return this.tagOf;
  }

  /**
   * One sample of channel `c` (an index into sourceTags), for a router that already looked the tag up;
   * call endBatch() once after the batch.
   */
  accept(c: number, s: Sample): void {
    this.st.samples++;
    if (c >= this.waves.scalars) {
      this.acceptBlock(c, s);
      return;
    }
    if (s.quality === 'bad') {
      this.st.badSamples++;
      return;
    }
    const raw = s.value;
    this.latest.set(c, raw);
    const v = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : undefined;
    if (v === undefined) {
      this.st.invalidSamples++;
      this.warn(`invalid:${s.tag}`, () => `tag ${s.tag} (channel ${this.channels[c]}): value ${JSON.stringify(raw)} is not a number${isWaveform(raw) ? ' (a waveform block: declare the channel under waveforms to analyse it)' : ''}; ignored`);
      return;
    }
    this.admit(c, v, s.sourceTs, s.receivedTs, s.quality === 'uncertain');
  }

  /**
   * A good-quality number of channel `c`: what accept() does with a good numeric Sample, without
   * the Sample (a router delivering a source's column batch); call endBatch() once after the batch.
   */
  acceptValue(c: number, v: number, sourceTs: number, receivedTs: number): void {
    if (c >= this.waves.scalars) {
      this.accept(c, { tag: this.tagOf[c], value: v, sourceTs, receivedTs, quality: 'good' }); // a number where a block is due: counted there
      return;
    }
    this.st.samples++;
    this.latest.setNumber(c, v);
    this.admit(c, v, sourceTs, receivedTs, false);
  }

  /**
   * Entries [from, to) of a dense column batch of numbers (no Samples), to channels c0, c0 + 1,
   * ... (a router's run of this pipeline's consecutive channels); ENTRY_NONE entries are skipped.
   */
  acceptRun(c0: number, b: ColumnBatch, from: number, to: number): void {
    const { kinds, values, sourceTs, receivedTs } = b;
    // A run that reaches a waveform channel goes entry by entry (acceptValue sends a number there
    // to acceptBlock). Otherwise values of one read share their stamps: the time checks and the
    // frame lookup are made once per stretch of equal stamps (a poll's next read, another item's
    // source time starts a new one), and the frame is opened with the first value put in it, as
    // add() would.
    const scalars = c0 + to - from <= this.waves.scalars;
    let ts = NaN;
    let rts = NaN;
    let fast = false;
    let f: OpenFrame | undefined;
    for (let i = from; i < to; i++) {
      if (kinds[i] !== ENTRY_VALUE) continue;
      const c = c0 + i - from;
      const v = values[i] as number;
      const t = sourceTs[i] as number;
      const r = receivedTs[i] as number;
      if (t !== ts || r !== rts) {
        ts = t;
        rts = r;
        fast = scalars && Number.isFinite(t) && t - r <= this.maxFutureMs;
        f = undefined;
      }
      if (!fast || !Number.isFinite(v)) {
        this.acceptValue(c, v, t, r);
        continue;
      }
      if (f === undefined) {
        f = this.aligner.frameFor(t);
        if (f === undefined) {
          fast = false; // its frame is closed: late, counted one by one
          this.acceptValue(c, v, t, r);
          continue;
        }
        if (t > this.maxTs) this.maxTs = t;
        this.accepted = true;
      }
      this.st.samples++;
      this.latest.setNumber(c, v);
      this.aligner.put(f, c, v, t);
    }
  }

  /** A usable-quality number on its way to the aligner: checks of value and time, then its frame. */
  private admit(c: number, v: number, ts: number, receivedTs: number, uncertain: boolean): void {
    if (!Number.isFinite(v)) {
      this.st.nonFiniteSamples++;
      this.warn(`nonfinite:${this.tagOf[c]}`, () => `tag ${this.tagOf[c]} (channel ${this.channels[c]}): non-finite value ${String(v)}; treated as bad`);
      return;
    }
    if (!Number.isFinite(ts) || ts - receivedTs > this.maxFutureMs) {
      this.st.futureSamples++;
      this.warn(`future:${this.tagOf[c]}`, () => `tag ${this.tagOf[c]}: source time ${iso(ts)} is ahead of receipt ${iso(receivedTs)} by more than ${this.maxFutureMs} ms (device clock?); ignored`);
      return;
    }
    if (!this.aligner.add(c, v, ts, uncertain)) {
      this.st.lateSamples++;
      this.warn(`late:${this.tagOf[c]}`, () => `tag ${this.tagOf[c]}: value at ${iso(ts)} arrived after its frame closed (latenessMs ${this.latenessMs}); dropped`);
      return;
    }
    if (ts > this.maxTs) this.maxTs = ts;
    this.accepted = true;
  }

  /**
   * A sample of waveform input c: the block's features go into its frame as the grid channels
   * `<channel>.<feature>`, with the block's quality; a block with no features is counted and reported.
   */
  private acceptBlock(c: number, s: Sample): void {
    if (s.quality === 'bad') this.st.badSamples++;
    else this.latest.set(c, s.value);
    const w = this.waves.channel(c);
    const ts = s.sourceTs;
    if (s.quality !== 'bad' && (!Number.isFinite(ts) || ts - s.receivedTs > this.maxFutureMs)) {
      this.st.futureSamples++;
      this.warn(`future:${w.tag}`, () => `tag ${w.tag}: source time ${iso(ts)} is ahead of receipt ${iso(s.receivedTs)} by more than ${this.maxFutureMs} ms (device clock?); ignored`);
      return;
    }
    const no = w.analyse(s);
    if (no !== undefined) {
      if (no.problem !== 'bad') this.warn(`waveform-${no.problem}:${w.tag}`, no.message);
      return;
    }
    for (let k = 0; k < w.values.length; k++) {
      if (!this.aligner.add(w.col0 + k, w.values[k], ts, s.quality === 'uncertain')) {
        this.st.lateSamples++;
        this.warn(`late:${w.tag}`, () => `tag ${w.tag}: block at ${iso(ts)} arrived after its frame closed (latenessMs ${this.latenessMs}); dropped`);
        return;
      }
    }
    if (ts > this.maxTs) this.maxTs = ts;
    this.accepted = true;
  }

  /** Closes the frames the samples accepted since the last call have moved the watermark past. */
  endBatch(): void {
    if (!this.accepted) return;
    this.accepted = false;
    this.lastArrival = this.arrivals.now();
    this.advance(this.maxTs - this.latenessMs);
  }

  /**
   * An already aligned row of all channels (assetChannels order: config order without waveforms;
   * NaN = no value), stamped `ts`, for feeds that deliver rows (CSV replay, a simulator, Node-RED).
   * It goes through the same grid, lateness and gap handling as samples; do not feed one asset both ways.
   */
  pushFrame(ts: number, values: ArrayLike<number>): void {
    if (values.length !== this.channels.length) {
      this.st.invalidSamples += values.length;
      this.warn('frame-width', `asset ${this.cfg.id}: a frame of ${values.length} values for ${this.channels.length} channels (${this.channels.join(', ')}); ignored`);
      return;
    }
    this.st.samples += values.length;
    const infinite = this.aligner.addFrame(ts, values);
    if (infinite !== 0) this.countInfinite(values);
    if (infinite < 0) {
      this.st.lateSamples += values.length;
      this.warn('late-frame', `asset ${this.cfg.id}: frame at ${iso(ts)} arrived after it was closed; dropped`);
      return;
    }
    if (ts > this.maxTs) this.maxTs = ts;
    this.lastArrival = this.arrivals.now();
    this.advance(this.maxTs - this.latenessMs);
  }

  /** Counts and reports the infinite values of a frame (treated as missing). */
  private countInfinite(values: ArrayLike<number>): void {
    for (let c = 0; c < values.length; c++) {
      if (values[c] === Infinity || values[c] === -Infinity) {
        this.st.nonFiniteSamples++;
        this.warn(`nonfinite:${this.channels[c]}`, `asset ${this.cfg.id} channel ${this.channels[c]}: non-finite value ${values[c]} in a frame; treated as missing`);
      }
    }
  }

  /**
   * Closes frames when the sources have gone quiet: the watermark moves on with the gateway clock
   * (time since the last accepted sample), so device clock offsets do not matter.
   */
  tick(): void {
    if (this.maxTs === -Infinity) return;
    const quiet = this.clock.now() - this.lastArrival;
    if (quiet >= this.idleFlushMs) this.advance(this.maxTs - this.latenessMs + quiet);
  }

  /** The feed has ended (a replayed file): closes every frame received, so the last full window is cut. */
  finish(): void {
    if (this.maxTs !== -Infinity) this.advance(this.maxTs + this.cfg.window.frameMs);
  }

  private advance(wm: number): void {
    if (wm <= this.watermark) return;
    this.watermark = wm;
    this.aligner.advance(wm);
  }

  private onReset(skippedFrames: number): void {
    this.st.gapResets++;
    this.windower.reset();
    this.log.warn({ skippedFrames }, `asset ${this.cfg.id}: no data for ${skippedFrames} frames (${(skippedFrames * this.cfg.window.frameMs) / 1000} s); windowing restarts`);
  }

  private onWindow(rw: CutWindow): void {
    const v = judgeCounts(rw.present, rw.uncertain, rw.cells.length, this.cfg.gaps);
    if (!v.emit) {
      const message = v.reason === 'empty'
        ? `asset ${this.cfg.id}: window ${iso(rw.start)}..${iso(rw.end)} skipped: all channels missing or bad`
        : `asset ${this.cfg.id}: window ${iso(rw.start)}..${iso(rw.end)} skipped: coverage ${v.coverage.toFixed(2)} < minCoverage ${this.cfg.gaps.minCoverage} (policy ${this.cfg.gaps.policy})`;
      if (v.reason === 'empty') this.st.windowsSkippedEmpty++;
      else this.st.windowsSkippedCoverage++;
      this.warn(`skip:${v.reason}`, message);
      this.windower.release(rw);
      this.emit('skipped', { asset: this.cfg.id, start: rw.start, end: rw.end, reason: v.reason, coverage: v.coverage, message });
      return;
    }
    const wf = this.featurizer.compute(rw, v.coverage === 1);
    this.st.nonFiniteFeatures += wf.nonFinite;
    const result: WindowResult = {
      asset: this.cfg.id, seq: this.seq++, start: rw.start, end: rw.end, frames: rw.frames,
      quality: v.quality, coverage: v.coverage, features: wf.features, missingChannels: wf.missingChannels,
    };
    if (this.channelUnits) (result as { units?: WindowResult['units'] }).units = this.channelUnits;
    this.scores.push(result, rw);
  }

  private emitAlarm(a: AlarmEvent): void {
    this.st.alarmEvents++;
    this.log.info({ alarm: a.key, action: a.action, severity: a.severity }, a.message);
    this.emit('alarm', a);
  }

  /** `message` may be a function: per-sample warnings only build their text when it is logged. */
  private warn(key: string, message: string | (() => string)): void {
    this.limited('warn', key, message);
  }

  /** Logs at most once per key and report interval, with how many were held back since. */
  private limited(level: 'warn' | 'info', key: string, message: string | (() => string)): void {
    const suppressed = this.limiter.check(key);
    if (suppressed === undefined) return;
    const text = typeof message === 'string' ? message : message();
    this.log[level](suppressed > 0 ? `${text} (${suppressed} more like this since the last report)` : text);
  }
}
