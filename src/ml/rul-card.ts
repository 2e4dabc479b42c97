import { CMAPSS_SENSORS } from './cmapss-data';
import { ensembleNote, memberWindowsNote } from './rul-ensemble';
import { ensembleSize, type RulOptions } from './rul-model';
import { cappedTruthCaption } from './metrics';
import { INT8_NOTE } from './quantize';
import { fmt, modelCard, table } from './model-card';
import type { CvFigures } from './rul-cv';
import type { RulPipelineOptions, VariantFigures } from './rul-pipeline';
import type { Sequential } from './sequential';

export function cvLine(cv: CvFigures): string {
  return `cross-validation (${cv.folds.length}/${cv.foldsPlanned} folds): RMSE ${fmt(cv.rmse.mean)} ± ${fmt(cv.rmse.std)}, PHM08 ${fmt(cv.scorePer100.mean)} ± ${fmt(cv.scorePer100.std)} per 100 cases; pooled RMSE ${fmt(cv.pooledRmse)}, PHM08 ${fmt(cv.pooledScorePer100)} per 100${cv.cappedTruth ? ` (${cappedNote(cv.cappedTruth)})` : ''}`;
}

/** The pooled figures against capped truth (see capTruth). */
function cappedNote(c: NonNullable<CvFigures['cappedTruth']>): string {
  return `${cappedTruthCaption(c.cap)}: pooled RMSE ${fmt(c.rmse)}, PHM08 ${fmt(c.scorePer100)} per 100 cases`;
}

function cvSection(cv: CvFigures, opts: RulPipelineOptions): string {
  const members = cv.folds.some((f) => f.firstMember);
  const rows: Array<Array<string | number>> = cv.folds.map((f) => [`fold ${f.fold + 1}`, f.trainEngines, f.valEngines, f.cases, f.rmse, f.scorePer100, ...(members ? [f.firstMember ? `${fmt(f.firstMember.rmse)} / ${fmt(f.firstMember.scorePer100)}` : ''] : [])]);
  rows.push(['mean ± sd', '', '', '', `${cv.rmse.mean.toFixed(2)} ± ${cv.rmse.std.toFixed(2)}`, `${cv.scorePer100.mean.toFixed(1)} ± ${cv.scorePer100.std.toFixed(1)}`, ...(members ? [''] : [])]);
  rows.push(['pooled', '', '', cv.folds.reduce((a, f) => a + f.cases, 0), cv.pooledRmse, cv.pooledScorePer100, ...(members ? [''] : [])]);
  return `${table(['fold', 'train engines', 'held-out engines', 'cases', 'RMSE', 'PHM08 / 100 cases', ...(members ? ['first member alone (RMSE / score)'] : [])], rows)}

Pooled over the folds had the predictions been shifted (the shipped offset, ${opts.offset} cycles, was chosen here): ${cv.offsets.map((o) => `${o.offset}: ${fmt(o.rmse)} / ${fmt(o.scorePer100)}`).join('; ')} (offset: RMSE / PHM08 per 100 cases).${cv.cappedTruth ? `\n\nThe figures ${cappedNote(cv.cappedTruth)}.` : ''}

These figures were used for choices (they are tuned on): the offset was picked on them, and the recipe was compared on them with the alternatives listed in docs/models.md ("How they compare"), which also says which changes measurably helped and which did not. Each fold's network never saw its fold (fixed epochs, no early stopping on it). ${seedNote(opts)}`;
}

/** Which seeds the cross-validated figures stand for (a single small network depends strongly on its seed). */
function seedNote(opts: RulPipelineOptions): string {
  // The seed runs themselves are in docs/models.md: the card generator cannot know them.
  const spread = 'docs/models.md lists single-network runs of the shipped recipes with other seeds on the same folds';
  if (ensembleSize(opts) > 1) return `They are the figures of the ensemble of ${ensembleNote(opts)}, averaged as in the shipped graph; the last column is its first network alone. Averaging makes the figure depend less on one seed's luck (${spread}).`;
  return `They are the figures of one seed (${opts.seed}) for the initial weights, noise and batch order: this small network depends strongly on it (${spread}).`;
}

/** ' --window 50' when every CNN reads the same last cycles of a longer window (the single CNN runs read only those), else ''. */
function cnnWindowFlag(opts: Pick<RulOptions, 'memberWindows'>): string {
  const w = opts.memberWindows;
  return w.length > 0 && w.every((v) => v === w[0]) ? ` --window ${w[0]}` : '';
}

/** MODEL_CARD.md of the RUL model: protocol, cross-validation, final held-out figures, variants. */
export function rulCard(opts: RulPipelineOptions, m: Record<string, number>, variants: VariantFigures[], models: readonly Sequential[], cv: CvFigures | undefined): string {
  const params = models.reduce((a, s) => a + s.paramCount(), 0);
  // One block per distinct architecture (the CNNs, the GRUs), with how many networks share it.
  const kinds = new Map<string, Sequential[]>();
  for (const m of models) {
    const key = JSON.stringify(m.specs);
    kinds.set(key, [...(kinds.get(key) ?? []), m]);
  }
  const arch = [...kinds.values()].map((ms) => `\`\`\`\n${ms[0]!.specs.map((s) => JSON.stringify(s)).join('\n')}\n\`\`\`\n${ms.length > 1 ? `${ms.length} x ${ms[0]!.paramCount()} = ${ms.length * ms[0]!.paramCount()}` : ms[0]!.paramCount()} parameters.`).join('\n\n');
  const ensemble = models.length > 1 ? ` The graph averages ${ensembleNote(opts)}.` : '';
  return modelCard(`Model card: ${opts.id}`, [
    { title: 'What it does', body: `Predicts the remaining useful life (RUL, in cycles, clipped to [0, ${opts.cap}]) of a turbofan engine from its last ${opts.window} cycles of the 14 informative C-MAPSS sensors (${CMAPSS_SENSORS.join(', ')}). Input \`x\` [N, ${opts.window}, 14], ${opts.scale === 'minmax' ? 'min-max scaled to [-1, 1] per sensor (the training engines\' range, written as the offset (mid-range) and scale (half-range) of the zscore normalization in manifest.json)' : 'z-scored with the mean/std in manifest.json'} (the pipeline applies them); output \`rul\` [N, 1].${ensemble}` },
    {
      title: 'Data',
      body: `NASA C-MAPSS FD001, \`train_FD001.txt\` (100 run-to-failure engines, one operating condition, one fault mode), shuffled with seed ${opts.splitSeed}. The last ${opts.holdout} engines of that order are the **final held-out set**: never trained on and never used for a choice. The other ${m.trainEngines} engines (${m.trainWindows} windows) train the shipped model and serve the cross-validation. The official test files are not in the training data folder; \`pdm-gateway evaluate rul\` accepts them unchanged.`,
    },
    {
      title: 'Protocol',
      body: `- Sensors: the 14 non-constant ones; constant channels (settings 3, s1, s5, s10, s16, s18, s19) dropped; ${opts.scale === 'minmax' ? 'min-max scaling to [-1, 1]' : 'z-score'} fitted on the training engines only.
- Labels: piecewise-linear RUL capped at ${opts.cap} cycles; the network learns RUL/${opts.cap}, the graph multiplies back${opts.offset ? `, subtracts ${opts.offset} cycles (an early bias: PHM08 punishes late predictions more)` : ''} and clips. Scoring uses the true, uncapped RUL.
- Windows: ${opts.window} cycles${memberWindowsNote(opts)}. Trajectories shorter than the window (the official test set has engines of 31 cycles) are front-padded by repeating their first row, in \`evaluate rul\` and in training alike; the gateway waits for a full window.${opts.smooth > 0 ? ` The graph's first layer smooths each sensor over the window (fixed exponential smoothing, y[t] = ${opts.smooth} x[t] + ${+(1 - opts.smooth).toFixed(6)} y[t-1], y[0] = x[0]; a constant [${opts.window}, ${opts.window}] MatMul), so the gateway feeds the raw z-scored window.` : ''}
- Test cases: each held-out engine is truncated at random cycles the way the official test set was made (true RUL uniform in [7, 145], at least 31 cycles kept), ${opts.truncations} truncations per engine; one prediction per engine at its last cycle; RMSE and the PHM08 score (given per 100 cases, so that sets of different sizes compare).
- Training: AdamW (lr ${opts.lr}, weight decay ${opts.weightDecay}, gradient-norm clip 5), cosine schedule with 1 warm-up epoch down to ${opts.minLrFrac} x lr, batch ${opts.batchSize}, ${opts.huber > 0 ? `Huber loss (delta ${opts.huber} cycles)` : opts.lateWeight === 1 ? 'MSE loss' : `squared error with late predictions weighted ${opts.lateWeight}x (PHM08 punishes late ones more)`}, ${opts.epochs} epochs${opts.earlyStop ? `, early stopping (patience ${opts.patience}) on the held-out engines, which makes the held-out figures optimistic` : opts.innerVal > 0 ? `, early stopping (patience ${opts.patience}, best epoch kept) on ${opts.innerVal} engines set aside from the training engines` : ', no early stopping: the last epoch is kept'}, ${ensembleSize(opts) > 1 ? `${ensembleNote(opts)}: each family's network k has seed ${opts.seed} + k` : `seed ${opts.seed}`}. ${opts.stretch.length ? `The training set also holds each training engine resampled to ${opts.stretch.join(' and ')} times its length (linear interpolation in time; the scaling is fitted on the engines as recorded), so the network sees more rates of wear. ` : ''}Gaussian input noise (std ${opts.noise}) regularizes${opts.size === 'teacher' ? ', with dropout' : opts.dropout > 0 ? `, with dropout ${opts.dropout} before the dense head` : ''}.`,
    },
    ...(cv ? [{ title: `Cross-validation (${cv.folds.length === cv.foldsPlanned ? `${cv.foldsPlanned} folds` : `${cv.folds.length} of ${cv.foldsPlanned} folds, the run stopped for time`} over the ${m.trainEngines} training engines)`, body: cvSection(cv, opts) }] : []),
    {
      title: `Final held-out engines (${m.valEngines} engines, ONNX file in onnxruntime-node)`,
      body: `${table(['metric', 'value'], [
        ['RMSE (cycles)', m.valRmse!],
        ['PHM08 score (sum over the cases)', m.valScore!],
        ['PHM08 score per 100 cases', m.valScorePer100!],
        ...(m.valRmseCappedTruth !== undefined ? [[`RMSE / PHM08 per 100 cases ${cappedTruthCaption(opts.cap)}`, `${fmt(m.valRmseCappedTruth)} / ${fmt(m.valScoreCappedTruthPer100!)}`]] : []),
        ['cases (engines x truncations)', m.valCases!],
        ['epochs', m.epochs!],
        ['training time (minutes, 2 shared cores, with variants)', m.trainMinutes!],
      ])}

Not tuned on: these engines were scored once, after the recipe was fixed (training prints their other truncations each epoch as progress; nothing was chosen on them). Published on the official FD001 test set (100 engines): DCNN 12.61 / 274, MS-DCNN 11.44 / 196, MTSTAN 10.97 / 175. Our cases are not the official test set, so the figures do not compare one to one; run \`pdm-gateway evaluate rul --test test_FD001.txt --truth RUL_FD001.txt --model models/${opts.id}\` for the official figure.`,
    },
    ...(variants.length > 1
      ? [
          {
            title: `Compressed variants (models/${opts.id}/variants/, on the final held-out engines)`,
            body: table(
              ['variant', 'parameters', 'file bytes', 'RMSE', 'score / 100 cases', 'note'],
              variants.map((v) => [v.name, v.params, v.bytes, v.valRmse, v.valScorePer100, v.sparsity !== undefined ? `${(v.sparsity * 100).toFixed(1)}% of weights zero (lambda ${opts.pruneLambda})` : v.name === 'int8' ? `${INT8_NOTE}${opts.gruMembers > 0 ? '; the GRUs stay float32 (ONNX has no integer GRU)' : ''}` : v.name === 'student' ? `one network distilled from the ${models.length > 1 ? `${models.length}-network ensemble` : 'teacher'}` : '']),
            ),
          },
        ]
      : []),
    { title: 'Architecture', body: `${arch}${kinds.size > 1 ? `\n\n${params} parameters in all.` : ''}` },
    {
      title: 'How to retrain',
      body: `\`\`\`\nnpm run build\nnpm run train:rul -- --data ../shared/data/cmapss --out models/${opts.id}\n\`\`\`\nCross-validation alone: \`node dist/src/cli/main.js train rul --data ../shared/data/cmapss --cv-only --cv 4 --cv-out cv.json\`; \`--cv-from cv.json\` puts saved figures into the card (refused unless made with the same options).${ensembleSize(opts) > 1 ? ` An ensemble's cross-validation can also be put together from single-network runs (\`--members 1${opts.gruMembers > 0 ? ` --gru-members 0${cnnWindowFlag(opts)}` : ''} --seed ${opts.seed}\`, ..., \`--seed ${opts.seed + Math.max(opts.members, opts.gruMembers) - 1}\`${opts.gruMembers > 0 ? `, and \`--members 0 --gru-members 1 --window ${opts.window} --gru-window 0\` with the same seeds for the GRUs` : ''}, each with \`--cv-out\`) with \`--cv-combine <files...> --cv-out cv.json\`: CNN k of the ensemble is the network of seed ${opts.seed} + k${opts.gruMembers > 0 ? ', and so is GRU k' : ''}.` : ''} Options: \`pdm-gateway train rul --help\`. The run is seeded; the same seed and data give the same model on the same Node.js version.`,
    },
    { title: 'Citations', body: `- A. Saxena, K. Goebel, D. Simon, N. Eklund, "Damage propagation modeling for aircraft engine run-to-failure simulation", PHM 2008.\n- X. Li, Q. Ding, J.-Q. Sun, "Remaining useful life estimation in prognostics using deep convolution neural networks", Reliability Engineering & System Safety 172 (2018) (DCNN).${opts.gruMembers > 0 ? '\n- K. Cho et al., "Learning phrase representations using RNN encoder-decoder for statistical machine translation", EMNLP 2014 (GRU).' : ''}` },
  ]);
}
