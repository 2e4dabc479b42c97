import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AssetConfig } from '../assets/config';
import type { AnalyzedWindow, ModelRunnerLike, ModelScore, ScoreSink } from '../assets/types';
import { LogLimiter } from '../assets/log-limit';
import { systemClock, type Clock } from '../core/clock';
import type { Module, ModuleHealth } from '../core/lifecycle';
import type { Logger } from '../observability/logger';
import { newBatchStats } from './batcher';
import type { ModelsConfig } from './config';
import { ModelRejectedError } from './errors';
import { Deployed, ModelSlot } from './hot-swap';
import { verifyAndLoad } from './loader';
import { readManifest } from './manifest-io';
import { ModelStore } from './registry';
import { compareVersions } from './semver';
import { ShadowCounters } from './shadow';
import { loadTrustedKeys } from './signing';
import { ModelStats } from './stats';
import { WindowScorer } from './window-scoring';

export interface ModelServiceOptions {
  readonly config: ModelsConfig;
  /** Shipped models (read only): gateway.modelsDir. */
  readonly modelsDir: string;
  /** Writable registry root: config.installDir or <dataDir>/models. */
  readonly installDir: string;
  readonly assets: readonly AssetConfig[];
  readonly logger: Logger;
  readonly clock?: Clock;
  /**
   * Keep each asset's baseline calibration (normalization `baseline`) under installDir so a restart
   * resumes it (default true); false keeps it in memory only, for an offline replay that must not
   * overwrite what a running gateway calibrated on the plant.
   */
  readonly persistBaselines?: boolean;
}

export type InstallResult =
  | { readonly ok: true; readonly id: string; readonly version: string; readonly mode: 'active' | 'shadow' | 'unused' }
  | { readonly ok: false; readonly id?: string; readonly version?: string; readonly reason: string; readonly message: string };

export interface ModelInfo {
  readonly id: string;
  readonly version?: string;
  readonly keyId?: string;
  readonly previous?: string;
  readonly probationLeft: number;
  readonly candidate?: string;
  readonly shadow: { runs: number; disagreements: number; faults: number; meanAbsDelta: number };
  readonly error?: string;
}

/**
 * The model layer: one slot per model id bound by an asset, versions from the registry verified
 * before load, batched scoring across assets, hot swap with probation and automatic rollback,
 * shadow candidates. Implements the pipeline's ModelRunnerLike.
 */
export class ModelService implements ModelRunnerLike, Module {
  readonly name = 'models';
  private readonly cfg: ModelsConfig;
  private readonly log: Logger;
  private readonly limiter: LogLimiter;
  private readonly store: ModelStore;
  private readonly slots = new Map<string, ModelSlot>();
  private readonly roles = new Map<string, 'anomaly' | 'rul'>();
  private readonly shadows = new Map<string, ShadowCounters>();
  private readonly st = new ModelStats();
  private readonly batchStats = newBatchStats();
  private readonly tried = new Set<string>();
  private readonly scorer: WindowScorer;
  private trusted: ReadonlyMap<string, KeyObject> = new Map();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly opts: ModelServiceOptions) {
    this.cfg = opts.config;
    this.log = opts.logger.child({ module: 'models' });
    this.limiter = new LogLimiter(opts.clock ?? systemClock);
    this.store = new ModelStore(resolve(opts.modelsDir), resolve(opts.installDir));
    this.scorer = new WindowScorer({
      slots: this.slots, stats: this.st, shadowTolerance: this.cfg.shadowTolerance,
      shadowCounters: (a, c) => this.shadowCounters(a, c),
      rollBack: (slot, d, bad, msg) => this.rollBackBad(slot, d, bad, msg),
      retire: (d, why) => void this.retire(d, why),
      warn: (key, msg) => this.warn(key, msg),
    });
    for (const a of opts.assets) {
      for (const b of a.models) {
        for (const id of [b.id, b.shadow]) {
          if (!id) continue;
          this.roles.set(id, b.role);
          if (!this.slots.has(id)) this.slots.set(id, new ModelSlot(id));
        }
      }
    }
  }

  async start(): Promise<void> {
    const shippedTrust = join(this.store.shippedRoot, 'trusted');
    const { keys, problems } = loadTrustedKeys([...this.cfg.trustedKeys, ...(existsSync(shippedTrust) ? [shippedTrust] : [])]);
    for (const p of problems) this.log.warn(p);
    this.trusted = keys;
    if (keys.size === 0 && this.cfg.requireSignature && this.slots.size > 0) this.log.warn('no trusted model signing key: every signed model will be refused (models.trustedKeys)');
    for (const slot of this.slots.values()) await this.loadInitial(slot);
    this.running = true;
    if (this.cfg.rescanIntervalMs > 0) {
      this.timer = setInterval(() => void this.rescan(), this.cfg.rescanIntervalMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const all = new Set<Deployed>();
    for (const s of this.slots.values()) for (const d of [s.active, s.active?.previous, s.candidate]) if (d) all.add(d);
    await Promise.all([...all].map((d) => d.retire()));
    for (const s of this.slots.values()) {
      s.active = undefined;
      s.candidate = undefined;
      s.lastError = 'the model service is stopped';
    }
  }

  health(): ModuleHealth {
    if (!this.running) return { healthy: false, state: 'stopped' };
    const missing = [...this.slots.values()].filter((s) => !s.active);
    if (missing.length === 0) return { healthy: true, state: 'up' };
    return { healthy: false, state: 'down', detail: missing.map((s) => s.lastError).join('; ') };
  }

  stats(): Record<string, number> {
    let loaded = 0;
    let candidates = 0;
    let inFlight = 0;
    let workerRestarts = 0;
    for (const s of this.slots.values()) {
      if (s.active) {
        loaded++;
        inFlight += s.active.batcher.pending();
        workerRestarts += s.active.model.sessionStats().workerRestarts;
      }
      if (s.candidate) candidates++;
    }
    return this.st.snapshot({ loaded, candidates, batches: this.batchStats.batches, batchedWindows: this.batchStats.windows, maxBatchSeen: this.batchStats.maxBatchSeen, runsInFlightPeak: this.batchStats.runsInFlightPeak, inFlight, workerRestarts });
  }

  models(): ModelInfo[] {
    return [...this.slots.values()].map((s) => {
      const sh = s.active && s.candidate ? this.shadows.get(`${s.id}<-${s.candidate.model.ref}`) : undefined;
      return {
        id: s.id, version: s.active?.model.version, keyId: s.active?.model.keyId, previous: s.active?.previous?.model.version,
        probationLeft: s.active?.previous ? s.active.probationLeft : 0, candidate: s.candidate?.model.version,
        shadow: { runs: sh?.runs ?? 0, disagreements: sh?.disagreements ?? 0, faults: sh?.faults ?? 0, meanAbsDelta: sh?.meanAbsDelta() ?? 0 },
        ...(s.active ? {} : { error: s.lastError }),
      };
    });
  }

  // ---- scoring ----

  async score(asset: AssetConfig, w: AnalyzedWindow): Promise<readonly ModelScore[]> {
    return new Promise((resolve) => this.scorer.score(asset, w, { settle: (scores) => resolve(scores ?? []) }));
  }

  /** score() without a promise per window: the pipeline's hot path (see ModelRunnerLike). */
  scoreInto(asset: AssetConfig, w: AnalyzedWindow, sink: ScoreSink): boolean {
    return this.scorer.score(asset, w, sink);
  }

  private shadowCounters(active: Deployed, cand: Deployed): ShadowCounters {
    const key = `${active.model.id}<-${cand.model.ref}`;
    let c = this.shadows.get(key);
    if (!c) this.shadows.set(key, (c = new ShadowCounters()));
    return c;
  }

  /** A version on probation gave a bad output: back to its predecessor, and it is never chosen again. */
  private rollBackBad(slot: ModelSlot, d: Deployed, bad: string, msg: string): void {
    const prev = d.previous as Deployed;
    slot.rollback();
    this.st.rollbacks++;
    this.store.reject(d.model.id, d.model.version, bad);
    this.store.setActive(prev.model.id, prev.model.version);
    this.log.error(`${msg}; rolled back to ${prev.model.ref}`);
    void this.retire(d, 'rolled back');
  }

  // ---- versions ----

  /**
   * Installs a model folder (manifest.json + model file) as a new version: copied into the
   * install root, verified, bound, then made active (hot swap with probation) or, with
   * `shadow`, run as the candidate beside the active version. A refused version changes nothing.
   */
  async install(srcDir: string, opts: { shadow?: boolean } = {}): Promise<InstallResult> {
    let id: string;
    let version: string;
    try {
      ({ id, version } = readManifest(srcDir).manifest);
    } catch (e) {
      const r = this.refused(e);
      this.log.error(`model install from ${srcDir} refused (${r.reason}): ${r.message}`);
      return r;
    }
    let dir = resolve(srcDir);
    if (!dir.startsWith(this.store.installRoot + '/')) {
      try {
        dir = this.store.copyIn(dir, id, version);
      } catch (e) {
        return { ok: false, id, version, reason: 'install', message: e instanceof Error ? e.message : String(e) };
      }
    }
    if (!this.slots.has(id)) {
      this.log.info(`model ${id}@${version} installed at ${dir}; no asset binds ${id}`);
      return { ok: true, id, version, mode: 'unused' };
    }
    return this.activate(this.slots.get(id) as ModelSlot, dir, opts.shadow ? 'shadow' : 'active');
  }

  /** Looks for versions newer than the active one on disk (e.g. dropped there by the model publisher). */
  async rescan(): Promise<InstallResult[]> {
    const out: InstallResult[] = [];
    for (const slot of this.slots.values()) {
      for (const dir of this.store.broken(slot.id)) {
        if (this.tried.has(dir)) continue;
        this.tried.add(dir);
        this.st.rejected.manifest++;
        this.log.error(`model ${slot.id}: ${dir}/manifest.json is unreadable or has no version; ignored`);
      }
      const current = slot.active?.model.version;
      const newest = this.store.candidates(slot.id).find((v) => !this.tried.has(v.dir) && (!current || compareVersions(v.version, current) > 0));
      if (newest) out.push(await this.activate(slot, newest.dir, 'active'));
    }
    return out;
  }

  /** Makes the shadow candidate of `id` the active version (hot swap with probation). */
  async promote(id: string): Promise<boolean> {
    const slot = this.slots.get(id);
    const cand = slot?.candidate;
    if (!slot || !cand) return false;
    slot.candidate = undefined;
    this.swapIn(slot, cand);
    this.st.promotions++;
    return true;
  }

  /** Operator rollback to the version kept during probation. */
  async rollback(id: string, reason = 'operator request'): Promise<boolean> {
    const slot = this.slots.get(id);
    const bad = slot?.active;
    if (!slot || !bad?.previous) return false;
    const prev = bad.previous;
    slot.rollback();
    this.st.rollbacks++;
    this.store.reject(id, bad.model.version, reason);
    this.store.setActive(id, prev.model.version);
    this.log.warn(`model ${bad.model.ref} rolled back to ${prev.model.ref}: ${reason}`);
    void this.retire(bad, 'rolled back');
    return true;
  }

  private async loadInitial(slot: ModelSlot): Promise<void> {
    const tried: string[] = [];
    for (const v of this.store.candidates(slot.id)) {
      this.tried.add(v.dir);
      try {
        const d = await this.deploy(slot.id, v.dir);
        slot.swap(d, 0);
        this.log.info({ dir: v.dir, keyId: d.model.keyId }, `model ${d.model.ref} loaded`);
        return;
      } catch (e) {
        const r = this.refused(e);
        tried.push(`${v.version}: ${r.message}`);
        this.log.error(`model ${slot.id}@${v.version} refused (${r.reason}): ${r.message}`);
      }
    }
    slot.lastError = tried.length === 0
      ? `model ${slot.id}: no version found under ${join(this.store.shippedRoot, slot.id)} or ${join(this.store.installRoot, slot.id)}`
      : `model ${slot.id}: no usable version (${tried.join('; ')})`;
    this.log.error(slot.lastError);
  }

  private async activate(slot: ModelSlot, dir: string, mode: 'active' | 'shadow'): Promise<InstallResult> {
    this.tried.add(dir);
    let d: Deployed;
    try {
      d = await this.deploy(slot.id, dir);
    } catch (e) {
      const r = this.refused(e);
      const version = readVersionQuietly(dir);
      if (version) this.store.reject(slot.id, version, r.message);
      this.log.error(`model ${slot.id}: new version at ${dir} refused (${r.reason}), ${slot.active ? `${slot.active.model.ref} keeps scoring` : 'no version active'}: ${r.message}`);
      return r;
    }
    if (mode === 'shadow') {
      const old = slot.candidate;
      slot.candidate = d;
      if (old) void this.retire(old, 'replaced as candidate');
      this.log.info(`model ${d.model.ref} runs in shadow beside ${slot.active?.model.ref ?? '(none)'}`);
    } else {
      this.swapIn(slot, d);
    }
    return { ok: true, id: d.model.id, version: d.model.version, mode };
  }

  private swapIn(slot: ModelSlot, d: Deployed): void {
    const from = slot.active?.model.ref;
    const old = slot.swap(d, this.cfg.probationWindows);
    this.st.swaps++;
    this.store.setActive(slot.id, d.model.version);
    this.log.info(`model ${slot.id} hot-swapped ${from ?? '(none)'} -> ${d.model.ref} (probation ${this.cfg.probationWindows} windows)`);
    if (old) void this.retire(old, 'replaced');
  }

  private async deploy(id: string, dir: string): Promise<Deployed> {
    const model = await verifyAndLoad(dir, { trusted: this.trusted, requireSignature: this.cfg.requireSignature, threads: this.cfg.threads, thread: this.cfg.inferenceThread });
    const d = new Deployed(model, this.cfg.maxBatch, this.batchStats, { baselineDir: this.opts.persistBaselines === false ? undefined : resolve(this.opts.installDir) });
    try {
      if (model.id !== id) throw new ModelRejectedError(`model ${model.ref} (${dir})`, 'manifest', `the folder of model ${id} holds a manifest for ${model.id}`);
      const role = this.roles.get(id) as 'anomaly' | 'rul';
      for (const a of this.opts.assets) if (a.models.some((b) => b.id === id || b.shadow === id)) d.bind(a, role);
    } catch (e) {
      await model.release();
      throw e;
    }
    return d;
  }

  private async retire(d: Deployed, why: string): Promise<void> {
    try {
      await d.retire();
      this.log.debug(`model ${d.model.ref} released (${why})`);
    } catch (e) {
      this.log.warn(`releasing ${d.model.ref}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Counts a refused version under its reason. */
  private refused(e: unknown): { ok: false; reason: string; message: string } {
    const reason = e instanceof ModelRejectedError ? e.reason : 'load';
    this.st.rejected[reason]++;
    return { ok: false, reason, message: e instanceof Error ? e.message : String(e) };
  }

  private warn(key: string, message: string): void {
    const n = this.limiter.check(key);
    if (n !== undefined) this.log.warn(n > 0 ? `${message} (${n} more like this)` : message);
  }
}

function readVersionQuietly(dir: string): string | undefined {
  try {
    return readManifest(dir).manifest.version;
  } catch {
    return undefined;
  }
}
