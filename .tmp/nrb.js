const { NormalizedRows } = require('/work/main/dist/src/models/normalized-rows.js');
const F = 50, C = 14, N = 200000;
const stream = new Float64Array((N + F) * C).map((_, i) => Math.sin(i));
const rows = new NormalizedRows(F, C);
const idx = Array.from({ length: C }, (_, i) => i);
const off = new Float64Array(C), sc = new Float64Array(C).fill(1);
const out = new Float32Array(64 * F * C);
const ts = new Float64Array(F);
function run(mode) {
  const t0 = performance.now();
  for (let k = 0; k < N; k++) {
    const values = stream.subarray(k * C, (k + F) * C);
    for (let i = 0; i < F; i++) ts[i] = (k + i) * 1000;
    const at = (k % 64) * F * C;
    if (mode === 'rows') rows.write(values, ts, C, idx, off, sc, out, at);
    else { const n = F * C; for (let i = 0, j = 0; i < n; i++) { out[at + i] = (values[i] - off[j]) * sc[j]; if (++j === C) j = 0; } }
  }
  return ((performance.now() - t0) * 1000 / N).toFixed(2);
}
for (let r = 0; r < 3; r++) console.log('rows', run('rows'), 'us/window; direct', run('direct'), 'us/window (incl. ts fill + subarray)');
